//! Blame in diffs: beside each changed field of `diff --base`, the file and line
//! that set its new value, found as `explain` finds it.

use super::{blame_paths, Ask, Unit};
use crate::diff::fields::SetBy;
use crate::diff::report::{Change, DiffReport};
use crate::fleet::layout::unit_dir;
use crate::fleet::render::expand_targets;
use crate::fleet::values::SetAssignment;
use crate::fleet::Fleet;
use crate::kustomize::fs::FileSystem;
use rayon::prelude::*;
use std::collections::BTreeMap;

/// Fills `set_by` of every added or changed field of the changed resources, rendering
/// each changed unit once more with edit tracking (in parallel) with the `--set`
/// values the new side was rendered with. Unit paths may be relative to the output
/// folder or start with its name. A unit that cannot be told (not a unit of this
/// fleet, or one that does not render) is left as it is.
pub fn annotate(
    fs: &dyn FileSystem,
    fleet: &Fleet,
    set: &[SetAssignment],
    report: &mut DiffReport,
) {
    let output = fleet.project.output.trim_end_matches('/');
    let mut units: BTreeMap<String, Unit> = BTreeMap::new();
    for (c, a) in fleet.pairs() {
        if let Ok(d) = unit_dir(&fleet.project.layout, c, &a.name) {
            units.insert(d, Unit::Pair(c, a));
        }
    }
    for t in expand_targets(fs, &fleet.project.targets).unwrap_or_default() {
        units.insert(t.clone(), Unit::Target(t));
    }
    let found: Vec<Option<Vec<Vec<Option<super::Step>>>>> = report
        .units
        .par_iter()
        .map(|u| {
            let dir = u
                .unit
                .strip_prefix(&format!("{output}/"))
                .unwrap_or(&u.unit);
            let unit = units.get(dir)?;
            let asks: Vec<Ask> = u
                .resources
                .iter()
                .map(|r| Ask {
                    kind: r.kind.clone(),
                    name: r.name.clone(),
                    namespace: (!r.namespace.is_empty()).then(|| r.namespace.clone()),
                    paths: if r.change == Change::Changed {
                        r.fields.iter().map(|f| f.segs.0.clone()).collect()
                    } else {
                        Vec::new()
                    },
                })
                .collect();
            if asks.iter().all(|a| a.paths.is_empty()) {
                return None;
            }
            blame_paths(fs, fleet, unit, &asks, set).ok()
        })
        .collect();
    for (u, steps) in report.units.iter_mut().zip(found) {
        let Some(steps) = steps else { continue };
        for (r, steps) in u.resources.iter_mut().zip(steps) {
            for (f, step) in r.fields.iter_mut().zip(steps) {
                if f.op == crate::diff::fields::Op::Removed {
                    continue;
                }
                f.set_by = step.map(|s| SetBy {
                    file: s.file,
                    line: s.line,
                    mechanism: s.mechanism,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::{diff_trees, DiffOptions, Tree};
    use crate::kustomize::fs::MemFs;

    /// A report of `spec.replicas` 1 → 5 in the unit `apps/prod/p/web`, its paths
    /// under `prefix` (`""`, or the output's name as `render --check` may give it).
    fn report(prefix: &str) -> DiffReport {
        let doc = |n: u32| {
            format!("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: {n}\n")
                .into_bytes()
        };
        let path = format!("{prefix}apps/prod/p/web/deployment-web.yaml");
        let tree = |n| Tree {
            root: String::new(),
            files: [(path.clone(), doc(n))].into(),
        };
        diff_trees(&tree(1), &tree(5), &DiffOptions::default()).unwrap()
    }

    fn fleet_files(base: &'static str) -> MemFs {
        MemFs::from_files([
            ("strata.yaml", "output: rendered\nlayers: [env]\n"),
            ("clusters/p.yaml", "name: p\nenv: prod\n"),
            ("apps/web/app.yaml", "name: web\n"),
            ("apps/web/base/kustomization.yaml", base),
            (
                "apps/web/base/d.yaml",
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 1\n",
            ),
            ("apps/web/env/prod.yaml", "replicas:\n  - name: web\n    count: 5\n"),
        ])
    }

    #[test]
    fn a_changed_field_is_blamed_with_unit_paths_relative_or_under_the_output() {
        let fs = fleet_files("resources: [d.yaml]\n");
        let fleet = crate::fleet::load(&fs).unwrap();
        for prefix in ["", "rendered/"] {
            let mut r = report(prefix);
            annotate(&fs, &fleet, &[], &mut r);
            let f = &r.units[0].resources[0].fields[0];
            assert_eq!(
                f.set_by.as_ref().map(|s| s.to_string()),
                Some("apps/web/env/prod.yaml:3 (replicas)".to_string()),
                "{prefix}"
            );
        }
    }

    #[test]
    fn a_unit_that_does_not_render_is_left_without_blame() {
        let fs = fleet_files("resources: [missing.yaml]\n");
        let fleet = crate::fleet::load(&fs).unwrap();
        let mut r = report("");
        annotate(&fs, &fleet, &[], &mut r);
        assert_eq!(r.units[0].resources[0].fields[0].set_by, None);
    }
}
