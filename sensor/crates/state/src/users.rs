//! Users and groups: from the host's passwd/group or a capture's user list.

use rustc_hash::FxHashMap as HashMap;
use std::path::Path;

#[derive(Debug, Clone, Default)]
pub struct Users {
    users: HashMap<u32, String>,
    groups: HashMap<u32, String>,
}

impl Users {
    pub fn from_capture(meta: &peregrine_scap::Metadata) -> Self {
        let mut u = Users::default();
        for e in &meta.users {
            u.users.insert(e.uid, crate::thread::lossy(&e.name));
        }
        for g in &meta.groups {
            u.groups.insert(g.gid, crate::thread::lossy(&g.name));
        }
        u
    }

    /// Reads `<root>/etc/passwd` and `<root>/etc/group`; missing files give
    /// empty tables (uid 0 still resolves to `root`).
    pub fn from_host(root: &Path) -> Self {
        let mut u = Users::default();
        let parse = |file: &str, map: &mut HashMap<u32, String>| {
            if let Ok(text) = std::fs::read_to_string(root.join(file)) {
                for line in text.lines() {
                    let f: Vec<&str> = line.split(':').collect();
                    if let (Some(name), Some(id)) =
                        (f.first(), f.get(2).and_then(|s| s.parse().ok()))
                    {
                        map.entry(id).or_insert_with(|| name.to_string());
                    }
                }
            }
        };
        parse("etc/passwd", &mut u.users);
        parse("etc/group", &mut u.groups);
        u
    }

    /// `user.name`: uid 0 is `root` even when no table says so.
    pub fn user(&self, uid: u32) -> Option<&str> {
        self.users
            .get(&uid)
            .map(String::as_str)
            .or((uid == 0).then_some("root"))
    }

    pub fn group(&self, gid: u32) -> Option<&str> {
        self.groups
            .get(&gid)
            .map(String::as_str)
            .or((gid == 0).then_some("root"))
    }

    pub fn add_user(&mut self, uid: u32, name: &str) {
        self.users.insert(uid, name.to_string());
    }

    /// Every user, by uid (a stable order for writing them out).
    pub fn user_entries(&self) -> Vec<(u32, String)> {
        sorted(&self.users)
    }

    /// Every group, by gid.
    pub fn group_entries(&self) -> Vec<(u32, String)> {
        sorted(&self.groups)
    }
}

fn sorted(m: &HashMap<u32, String>) -> Vec<(u32, String)> {
    let mut v: Vec<(u32, String)> = m.iter().map(|(&id, n)| (id, n.clone())).collect();
    v.sort_unstable();
    v
}
