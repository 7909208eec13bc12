//! Both drivers fill the same syscalls with dedicated events: a rule on a
//! syscall must not match under one driver and see GENERIC_X under the
//! other. The eBPF probe's filler table and the kernel module's list (itself
//! checked against the module's `case __NR_x:` lines) are compared here.

use std::collections::BTreeSet;

#[test]
fn ebpf_and_kmod_fill_the_same_syscalls() {
    let ebpf: BTreeSet<u32> = peregrine_bpf::FILLERS.iter().map(|&(nr, _)| nr).collect();
    let kmod: BTreeSet<u32> = peregrine_kmod_source::DEDICATED_SYSCALLS_X86_64
        .iter()
        .map(|&nr| u32::from(nr))
        .collect();
    let only_ebpf: Vec<_> = ebpf.difference(&kmod).collect();
    let only_kmod: Vec<_> = kmod.difference(&ebpf).collect();
    assert!(
        only_ebpf.is_empty() && only_kmod.is_empty(),
        "only the eBPF probe fills {only_ebpf:?}; only the module fills {only_kmod:?}"
    );
    assert_eq!(
        ebpf.len(),
        peregrine_bpf::FILLERS.len(),
        "a syscall listed twice"
    );
}
