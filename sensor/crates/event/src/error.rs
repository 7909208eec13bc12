use thiserror::Error;

/// Why bytes are not a valid event. Offsets are relative to the start of the
/// event; callers that know where the event sits in a file add their own.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DecodeError {
    #[error("event truncated: need {need} bytes, have {have}")]
    Truncated { need: usize, have: usize },
    #[error("event length {len} is smaller than the {min}-byte header and length array")]
    LengthTooSmall { len: u32, min: usize },
    #[error("event length {len} exceeds the {avail} bytes available")]
    LengthOverflow { len: u32, avail: usize },
    #[error("event type {code} has {nparams} parameters; at most {max} are allowed")]
    TooManyParams { code: u16, nparams: u32, max: usize },
    #[error("parameter lengths add up to {sum} bytes but only {avail} follow the length array")]
    ParamsOverflow { sum: u64, avail: usize },
}
