//! systemd readiness (`Type=notify`): a datagram to `$NOTIFY_SOCKET`.

use std::os::unix::net::UnixDatagram;

/// Sends `state` (e.g. `READY=1`, `RELOADING=1`, `STOPPING=1`) to systemd.
/// Returns false when not running under systemd (no `NOTIFY_SOCKET`) or the
/// send failed; never an error worth stopping for.
pub fn sd_notify(state: &str) -> bool {
    let Some(path) = std::env::var_os("NOTIFY_SOCKET") else {
        return false;
    };
    let Ok(sock) = UnixDatagram::unbound() else {
        return false;
    };
    let bytes = path.as_encoded_bytes();
    if let Some(name) = bytes.strip_prefix(b"@") {
        // Abstract socket namespace.
        use std::os::linux::net::SocketAddrExt;
        let Ok(addr) = std::os::unix::net::SocketAddr::from_abstract_name(name) else {
            return false;
        };
        return sock.send_to_addr(state.as_bytes(), &addr).is_ok();
    }
    sock.send_to(state.as_bytes(), &path).is_ok()
}
