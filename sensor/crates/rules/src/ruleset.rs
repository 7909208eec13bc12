//! The compiled, immutable rule set: rules indexed by event type, and
//! evaluation of one event (rules.md §1.7 ordering, first match by default).

use crate::ast::Expr;
use crate::collect::Priority;
use crate::compile::{FieldTable, Pred};
use crate::eval::{Cache, Eval};
use crate::evttypes::{universe, TypeSet};
use crate::fields::Ctx;
use crate::output::{Alert, OutputFormat};
use crate::specialize::specialize;
use peregrine_event::render::type_name;
use peregrine_event::EventRef;
use peregrine_state::State;
use std::collections::BTreeSet;
use std::sync::Arc;

thread_local! {
    /// The field cache's allocation, kept between events of one thread.
    static SCRATCH: std::cell::Cell<crate::eval::Scratch> = std::cell::Cell::new(Default::default());
}

#[derive(Debug, Clone)]
pub struct CompiledRule {
    pub name: Arc<str>,
    pub desc: String,
    pub priority: Priority,
    pub source: Arc<str>,
    pub tags: Arc<[String]>,
    pub pred: Pred,
    pub output: OutputFormat,
    pub types: TypeSet,
    pub enabled: bool,
    /// The condition with lists and macros expanded.
    pub expr: Expr,
    /// Definition index (evaluation order).
    pub index: usize,
}

#[derive(Debug, Clone)]
struct Candidate {
    rule: u32,
    pred: Arc<Pred>,
}

/// Rules matching more event types than this share one unspecialised
/// predicate (they rarely test evt.type, and copies would cost memory).
const SPECIALIZE_MAX_TYPES: usize = 64;

/// What Falco 0.44 appends to every syscall rule's output by default
/// (`append_output: [{suggested_output: true}]` with the container plugin's
/// suggested fields, rules.md §3.8).
pub const SUGGESTED_OUTPUT: &str = " container_id=%container.id container_name=%container.name \
container_image_repository=%container.image.repository container_image_tag=%container.image.tag \
k8s_pod_name=%k8s.pod.name k8s_ns_name=%k8s.ns.name";

/// `rule_matching` in falco.yaml.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Matching {
    #[default]
    First,
    All,
}

/// Which rules run, applied after loading (falco's `-D`, `-T`, `-t`,
/// `priority`).
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Rules less severe than this are disabled.
    pub min_priority: Option<Priority>,
    /// Rules whose name matches one of these regexes are disabled.
    pub disable_names: Vec<regex::Regex>,
    pub disable_tags: Vec<String>,
    /// When not empty, only rules with one of these tags run.
    pub enable_tags: Vec<String>,
}

impl Selection {
    /// Falco's rule: disabling by name/tag and enabling by tag exclude each other.
    pub fn check(&self) -> Result<(), String> {
        if !self.enable_tags.is_empty()
            && (!self.disable_tags.is_empty() || !self.disable_names.is_empty())
        {
            return Err("You can not specify both disabled (-D/-T) and enabled (-t) rules".into());
        }
        Ok(())
    }
}

/// What the kernel side must capture for the loaded rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interest {
    /// Some enabled rule matches every event type.
    pub all: bool,
    /// Event type / syscall names the enabled rules need.
    pub names: BTreeSet<&'static str>,
}

#[derive(Debug, Clone)]
pub struct RuleSet {
    rules: Vec<CompiledRule>,
    fields: FieldTable,
    /// Per type id: the enabled syscall rules, in evaluation order, each
    /// with its predicate specialised for that type.
    by_type: Vec<Vec<Candidate>>,
    active: Vec<bool>,
    /// Number of shared sub-conditions (memo slots per event).
    n_memo: usize,
    pub matching: Matching,
}

impl RuleSet {
    pub(crate) fn new(mut rules: Vec<CompiledRule>, fields: FieldTable, n_memo: usize) -> Self {
        rules.sort_by_key(|r| r.index);
        let active = rules.iter().map(|r| r.enabled).collect();
        let mut rs = RuleSet {
            rules,
            fields,
            by_type: Vec::new(),
            active,
            n_memo,
            matching: Matching::First,
        };
        rs.reindex();
        rs
    }

    fn reindex(&mut self) {
        let n = universe().names.len();
        let mut by_type: Vec<Vec<Candidate>> = vec![Vec::new(); n];
        for (i, r) in self.rules.iter().enumerate() {
            if !self.active[i] || &*r.source != "syscall" {
                continue;
            }
            let generic = Arc::new(r.pred.clone());
            let specialise = r.types.len() <= SPECIALIZE_MAX_TYPES;
            for id in 0..n as u16 {
                if !r.types.contains(id) {
                    continue;
                }
                let pred = if specialise {
                    match specialize(&r.pred, id) {
                        Pred::Const(false) => continue,
                        p => Arc::new(p),
                    }
                } else {
                    generic.clone()
                };
                by_type[id as usize].push(Candidate {
                    rule: i as u32,
                    pred,
                });
            }
        }
        self.by_type = by_type;
    }

    /// Applies a selection (on top of each rule's `enabled`). Falco refuses
    /// disabling (-D/-T) and enabling (-t) in one run: see [`Selection::check`].
    pub fn select(&mut self, sel: &Selection) {
        for (i, r) in self.rules.iter().enumerate() {
            let mut on = r.enabled;
            if sel.min_priority.is_some_and(|p| r.priority > p) {
                on = false;
            }
            if sel.disable_names.iter().any(|re| re.is_match(&r.name)) {
                on = false;
            }
            if r.tags.iter().any(|t| sel.disable_tags.contains(t)) {
                on = false;
            }
            if !sel.enable_tags.is_empty() && !r.tags.iter().any(|t| sel.enable_tags.contains(t)) {
                on = false;
            }
            self.active[i] = on;
        }
        self.reindex();
    }

    /// Appends `suffix` (a format: text and `%field`s) to the output of
    /// every rule of `source`: falco.yaml's `append_output`. Falco's default
    /// is [`SUGGESTED_OUTPUT`] for syscall rules.
    pub fn append_output(&mut self, source: &str, suffix: &str) -> Result<(), String> {
        let resolve =
            crate::build::resolver(source).ok_or_else(|| format!("unknown source {source}"))?;
        for r in self.rules.iter_mut().filter(|r| &*r.source == source) {
            let f = OutputFormat::parse(suffix, &mut self.fields, resolve)
                .map_err(|tok| format!("invalid formatting token {tok}"))?;
            r.output.append(f);
        }
        Ok(())
    }

    pub fn rules(&self) -> &[CompiledRule] {
        &self.rules
    }
    pub fn is_active(&self, i: usize) -> bool {
        self.active.get(i).copied().unwrap_or(false)
    }
    /// Number of distinct fields the rules extract.
    pub fn field_count(&self) -> usize {
        self.fields.defs.len()
    }

    /// Event types and syscalls the enabled syscall rules need.
    pub fn syscall_interest(&self) -> Interest {
        let mut all = false;
        let mut names = BTreeSet::new();
        for (i, r) in self.rules.iter().enumerate() {
            if !self.active[i] || &*r.source != "syscall" {
                continue;
            }
            if r.types.is_all() {
                all = true;
            }
            names.extend(r.types.names());
        }
        Interest { all, names }
    }

    /// The type id of an event (generic events are named after their syscall).
    #[inline]
    fn type_id(ev: &EventRef<'_>) -> Option<u16> {
        let u = universe();
        match u.by_code.get(ev.code() as usize) {
            Some(Some(id)) => Some(*id),
            _ => {
                // Generic events: by PPM_SC id first, as `type_name` does.
                let sc = ev.param(0).and_then(|p| p.as_u64());
                match sc.and_then(|c| u.by_sc.get(c as usize)) {
                    Some(Some(id)) if ev.code() <= 1 => Some(*id),
                    _ => u.index.get(type_name(ev)).copied(),
                }
            }
        }
    }

    /// True when some enabled rule may match events of this type.
    pub fn wants(&self, ev: &EventRef<'_>) -> bool {
        Self::type_id(ev).is_some_and(|id| !self.by_type[id as usize].is_empty())
    }

    /// Evaluates one event (after `state.process(ev)`): the alerts of the
    /// first matching rule, or of every matching rule with `Matching::All`.
    pub fn evaluate<'x>(
        &self,
        ev: &EventRef<'x>,
        state: &'x State,
        num: u64,
        cpu: u16,
    ) -> Vec<Alert> {
        let mut out = Vec::new();
        let Some(id) = Self::type_id(ev) else {
            return out;
        };
        let cands = &self.by_type[id as usize];
        if cands.is_empty() {
            return out;
        }
        let ctx = Ctx {
            ev: *ev,
            state,
            num,
            cpu,
        };
        let buf = SCRATCH.with(|s| s.take());
        let mut cache = Cache::reuse(buf, self.fields.n_cond, self.n_memo);
        for cand in cands {
            let r = &self.rules[cand.rule as usize];
            let hit = Eval {
                defs: &self.fields.defs,
                ctx: &ctx,
                cache: &mut cache,
            }
            .pred(&cand.pred);
            if !hit {
                continue;
            }
            let mut fields = Vec::new();
            let message = r.output.render(&self.fields, &ctx, &mut cache, &mut fields);
            out.push(Alert {
                rule: r.name.clone(),
                priority: r.priority,
                source: r.source.clone(),
                tags: r.tags.clone(),
                ts: ev.ts(),
                message,
                fields,
            });
            if self.matching == Matching::First {
                break;
            }
        }
        let buf = cache.recycle();
        SCRATCH.with(|s| s.set(buf));
        out
    }
}
