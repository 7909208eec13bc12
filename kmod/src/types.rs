//! Types of the generated tables. Discriminants come from the C header.

use crate::raw;

macro_rules! c_enum {
    ($(#[$m:meta])* $name:ident : $repr:ty { $($var:ident = $c:ident),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[repr($repr)]
        pub enum $name { $($var = raw::$c as $repr),* }
        impl $name {
            /// The variant with this wire value, if any.
            pub const fn from_u8(v: u8) -> Option<Self> {
                $(if v as $repr == raw::$c as $repr { return Some(Self::$var); })*
                None
            }
        }
    };
}

c_enum! {
    /// Parameter type (`enum ppm_param_type`).
    ParamType: u8 {
        None = PT_NONE, Int8 = PT_INT8, Int16 = PT_INT16, Int32 = PT_INT32, Int64 = PT_INT64,
        Uint8 = PT_UINT8, Uint16 = PT_UINT16, Uint32 = PT_UINT32, Uint64 = PT_UINT64,
        Charbuf = PT_CHARBUF, Bytebuf = PT_BYTEBUF, Errno = PT_ERRNO, Sockaddr = PT_SOCKADDR,
        Socktuple = PT_SOCKTUPLE, Fd = PT_FD, Pid = PT_PID, Fdlist = PT_FDLIST, Fspath = PT_FSPATH,
        Syscallid = PT_SYSCALLID, Sigtype = PT_SIGTYPE, Reltime = PT_RELTIME, Abstime = PT_ABSTIME,
        Port = PT_PORT, L4proto = PT_L4PROTO, Sockfamily = PT_SOCKFAMILY, Bool = PT_BOOL,
        Ipv4addr = PT_IPV4ADDR, Dyn = PT_DYN, Flags8 = PT_FLAGS8, Flags16 = PT_FLAGS16,
        Flags32 = PT_FLAGS32, Uid = PT_UID, Gid = PT_GID, Double = PT_DOUBLE, Sigset = PT_SIGSET,
        Charbufarray = PT_CHARBUFARRAY, CharbufPairArray = PT_CHARBUF_PAIR_ARRAY,
        Ipv4net = PT_IPV4NET, Ipv6addr = PT_IPV6ADDR, Ipv6net = PT_IPV6NET, Ipaddr = PT_IPADDR,
        Ipnet = PT_IPNET, Mode = PT_MODE, Fsrelpath = PT_FSRELPATH, Enumflags8 = PT_ENUMFLAGS8,
        Enumflags16 = PT_ENUMFLAGS16, Enumflags32 = PT_ENUMFLAGS32, Fd32 = PT_FD32, Pid32 = PT_PID32,
    }
}

c_enum! {
    /// How readers print a parameter (`enum ppm_print_format`).
    PrintFormat: u8 {
        Na = PF_NA, Dec = PF_DEC, Hex = PF_HEX, N10PaddedDec = PF_10_PADDED_DEC, Id = PF_ID,
        Dir = PF_DIR, Oct = PF_OCT,
    }
}

impl ParamType {
    /// Wire size of fixed-size types (`ppm_param_helpers.h`); `None` for variable ones.
    pub const fn fixed_size(self) -> Option<usize> {
        use ParamType::*;
        Option::Some(match self {
            Int8 | Uint8 | Flags8 | Enumflags8 | Sigtype | L4proto | Sockfamily => 1,
            Int16 | Uint16 | Flags16 | Enumflags16 | Syscallid | Port => 2,
            Int32 | Uint32 | Flags32 | Enumflags32 | Uid | Gid | Mode | Sigset | Fd32 | Pid32
            | Ipv4addr | Bool => 4,
            Int64 | Uint64 | Reltime | Abstime | Errno | Fd | Pid | Double => 8,
            Ipv6addr => 16,
            _ => return Option::None,
        })
    }

    /// Flag types whose value is a bit set (rendered `A|B`), as opposed to enums.
    pub const fn is_bitflags(self) -> bool {
        matches!(
            self,
            ParamType::Flags8 | ParamType::Flags16 | ParamType::Flags32 | ParamType::Mode
        )
    }
}

/// A flag or enum table: display names by scap value, in scap-value order.
#[derive(Debug, PartialEq, Eq)]
pub struct FlagTable {
    pub name: &'static str,
    pub entries: &'static [(&'static str, u32)],
}

/// A PT_DYN table: the type selected by each index byte.
#[derive(Debug, PartialEq, Eq)]
pub struct DynTable {
    pub name: &'static str,
    pub entries: &'static [(ParamType, PrintFormat)],
}

/// What else the table says about a parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamInfo {
    None,
    /// Values are names from this flag/enum table.
    Flags(&'static FlagTable),
    /// A table the reference does not spell out; values render numerically.
    UnknownTable(&'static str),
    /// A PT_FSRELPATH relative to the dirfd in this parameter index.
    DirFd(u8),
    /// PT_DYN sub-types.
    Dyn(&'static DynTable),
}

/// One parameter of an event, as the table describes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParamDesc {
    pub name: &'static str,
    pub ptype: ParamType,
    pub format: PrintFormat,
    pub info: ParamInfo,
}

/// One event code's table entry.
#[derive(Debug, PartialEq, Eq)]
pub struct EventInfo {
    pub code: u16,
    /// Enum name, e.g. `PPME_SYSCALL_OPEN_X`.
    pub enum_name: &'static str,
    /// `evt.type`, e.g. `open` (`NA` for placeholders).
    pub name: &'static str,
    pub category: u32,
    pub flags: u32,
    pub params: &'static [ParamDesc],
}

impl EventInfo {
    /// Even codes are enter events (and non-syscall events); odd ones exit events.
    pub const fn is_enter(&self) -> bool {
        self.code & 1 == 0
    }
    /// Events whose length array holds u32 instead of u16 entries.
    pub const fn is_large(&self) -> bool {
        self.flags & raw::EF_LARGE_PAYLOAD != 0
    }
    pub const fn is_old(&self) -> bool {
        self.flags & raw::EF_OLD_VERSION != 0
    }
    pub const fn is_unused(&self) -> bool {
        self.flags & raw::EF_UNUSED != 0
    }
    pub const fn is_converter_managed(&self) -> bool {
        self.flags & raw::EF_CONVERTER_MANAGED != 0
    }
    /// Index of the parameter called `name`.
    pub fn param_index(&self, name: &str) -> Option<usize> {
        self.params.iter().position(|p| p.name == name)
    }
}

/// What the capture-file converter does with an old event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Store,
    Pass,
    StoreAndPass,
    AddParams,
    ChangeType,
}

/// Where one produced parameter comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstrSource {
    FromOld,
    FromEnter,
    FromEmpty,
    FromDefault,
    FromCallback,
}

/// One instruction of a conversion step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Instr {
    pub source: InstrSource,
    pub index: u8,
    pub fallback_empty: bool,
}

/// A converter table row keyed by (code, nparams).
#[derive(Debug, PartialEq, Eq)]
pub struct Conversion {
    pub code: u32,
    pub nparams: u32,
    pub action: Action,
    pub target_code: u32,
    pub target_nparams: u32,
    pub instrs: &'static [Instr],
}
