//! Helm's values: the user's values coalesced over each chart's `values.yaml`, scoped
//! to subcharts by name, `global` passed down, subcharts switched off by `condition`
//! and `tags`, and `import-values` pulled up (chartutil's coalesce and dependencies).

use super::chart::Chart;
use serde_json::{Map, Value as Json};

/// Helm's `CoalesceValues`: `user` over the chart's defaults, recursively into subcharts.
pub fn coalesce(chart: &Chart, user: &Map<String, Json>) -> Map<String, Json> {
    let mut dest = user.clone();
    coalesce_chart(chart, &mut dest, false);
    dest
}

fn coalesce_chart(chart: &Chart, dest: &mut Map<String, Json>, merge: bool) {
    coalesce_values(chart, dest, merge);
    for sub in &chart.dependencies {
        let name = sub.name().to_string();
        match dest.get(&name) {
            None => {
                dest.insert(name.clone(), Json::Object(Map::new()));
            }
            Some(Json::Object(_)) => {}
            // Helm fails with "type mismatch"; the subchart then sees no values of its own.
            Some(_) => continue,
        }
        let parent_global = dest.get("global").cloned();
        let Some(Json::Object(sub_dest)) = dest.get_mut(&name) else {
            continue;
        };
        coalesce_globals(sub_dest, parent_global.as_ref());
        coalesce_chart(sub, sub_dest, merge);
    }
}

/// The parent's `global` merged into the subchart's, the parent's keys winning.
fn coalesce_globals(dest: &mut Map<String, Json>, parent_global: Option<&Json>) {
    let mut dg = match dest.get("global") {
        Some(Json::Object(m)) => m.clone(),
        Some(_) => return,
        None => Map::new(),
    };
    let sg = match parent_global {
        Some(Json::Object(m)) => m.clone(),
        Some(_) => return,
        None => Map::new(),
    };
    for (key, val) in sg {
        match (&val, dg.get(&key)) {
            (Json::Object(vv), None) => {
                dg.insert(key, Json::Object(vv.clone()));
            }
            (Json::Object(vv), Some(Json::Object(dv))) => {
                let mut merged = vv.clone();
                coalesce_tables(&mut merged, dv.clone(), true);
                dg.insert(key, Json::Object(merged));
            }
            (Json::Object(_), Some(_)) => {}
            (_, Some(Json::Object(_))) => {}
            _ => {
                dg.insert(key, val);
            }
        }
    }
    dest.insert("global".into(), Json::Object(dg));
}

/// The chart's defaults under the user's `v`: a user `null` removes the key, and
/// (when coalescing) the chart's own nulls are dropped.
fn coalesce_values(chart: &Chart, v: &mut Map<String, Json>, merge: bool) {
    for (key, val) in chart.values.iter() {
        match v.get_mut(key) {
            Some(Json::Null) if !merge => {
                v.remove(key);
            }
            Some(Json::Object(dest)) => {
                if let Json::Object(src) = val {
                    // Values for a subchart merge rather than coalesce (nulls kept).
                    let merge = merge || chart.dependencies.iter().any(|d| d.name() == key);
                    let mut src = src.clone();
                    if !merge {
                        clean_nil_values(&mut src);
                    }
                    coalesce_tables(dest, src, merge);
                }
            }
            Some(_) => {}
            None => {
                let mut val = val.clone();
                if !merge {
                    if val.is_null() {
                        continue;
                    }
                    if let Json::Object(sub) = &mut val {
                        clean_nil_values(sub);
                    }
                }
                v.insert(key.clone(), val);
            }
        }
    }
}

fn clean_nil_values(m: &mut Map<String, Json>) {
    m.retain(|_, v| !v.is_null());
    for v in m.values_mut() {
        if let Json::Object(sub) = v {
            clean_nil_values(sub);
        }
    }
}

/// Helm's `coalesceTablesFullKey`: `src` under `dst`, `dst` winning; without `merge`,
/// a `null` in `dst` removes a key `src` sets.
fn coalesce_tables(dst: &mut Map<String, Json>, mut src: Map<String, Json>, merge: bool) {
    let src_non_nil: Vec<String> = src
        .iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, _)| k.clone())
        .collect();
    for (k, v) in dst.iter() {
        if v.is_null() {
            src.insert(k.clone(), Json::Null);
        }
    }
    for (key, val) in src {
        match dst.get_mut(&key) {
            Some(Json::Null) if !merge && src_non_nil.contains(&key) => {
                dst.remove(&key);
            }
            None => {
                dst.insert(key, val);
            }
            Some(Json::Object(dv)) => {
                if let Json::Object(sv) = val {
                    coalesce_tables(dv, sv, merge);
                }
            }
            Some(_) => {}
        }
    }
}

/// Removes the subcharts whose `condition` or `tags` switch them off, and renames
/// aliased ones (Helm's `processDependencyEnabled`), for the coalesced `values`.
pub fn enabled_dependencies(chart: &mut Chart, user: &Map<String, Json>) {
    let values = coalesce(chart, user);
    prune(chart, &values);
}

fn prune(chart: &mut Chart, scoped: &Map<String, Json>) {
    let deps: Vec<Map<String, Json>> = chart
        .metadata
        .get("dependencies")
        .and_then(Json::as_array)
        .map(|a| a.iter().filter_map(|d| d.as_object().cloned()).collect())
        .unwrap_or_default();
    let mut kept = Vec::new();
    let loaded = std::mem::take(&mut chart.dependencies);
    // A vendored chart answers a Chart.yaml entry only when its name matches and its
    // version is in the entry's range (Helm's `IsCompatibleRange`).
    let answers =
        |d: &Map<String, Json>, sub: &Chart| name_of(d) == sub.name() && compatible_range(d, sub);
    // Charts under charts/ that no Chart.yaml entry answers for are always on.
    for sub in &loaded {
        if !deps.iter().any(|d| answers(d, sub)) {
            kept.push(sub.clone());
        }
    }
    let mut disabled = std::collections::BTreeSet::new();
    for dep in &deps {
        let alias = dep
            .get("alias")
            .and_then(Json::as_str)
            .filter(|a| !a.is_empty());
        if let Some(sub) = loaded.iter().find(|c| answers(dep, c)) {
            let mut sub = sub.clone();
            if let Some(alias) = alias {
                std::sync::Arc::make_mut(&mut sub.metadata)
                    .insert("name".into(), Json::String(alias.to_string()));
            }
            kept.push(sub);
        }
        // Helm switches charts off by the entry's name (its alias if any), whichever
        // chart carries that name.
        if !is_enabled(dep, scoped) {
            disabled.insert(alias.unwrap_or(name_of(dep)).to_string());
        }
    }
    kept.retain(|c| !disabled.contains(c.name()));
    kept.sort_by(|a, b| a.name().cmp(b.name()));
    let none = Map::new();
    for sub in &mut kept {
        let sub_scope = scoped
            .get(sub.name())
            .and_then(Json::as_object)
            .unwrap_or(&none);
        prune(sub, sub_scope);
    }
    chart.dependencies = kept;
}

fn name_of(dep: &Map<String, Json>) -> &str {
    dep.get("name").and_then(Json::as_str).unwrap_or("")
}

/// Helm's `IsCompatibleRange`: the entry's `version` parses as a constraint (an absent
/// or empty one does not) and the chart's version satisfies it.
fn compatible_range(dep: &Map<String, Json>, sub: &Chart) -> bool {
    let constraint = dep.get("version").and_then(Json::as_str).unwrap_or("");
    let version = sub
        .metadata
        .get("version")
        .and_then(Json::as_str)
        .unwrap_or("");
    !constraint.trim().is_empty() && crate::helm::semver::compare(constraint, version) == Ok(true)
}

/// Tags first (any true tag switches on, all false switch off), then the first
/// condition path that holds a bool decides.
fn is_enabled(dep: &Map<String, Json>, values: &Map<String, Json>) -> bool {
    let mut enabled = true;
    if let Some(tags) = dep.get("tags").and_then(Json::as_array) {
        let tag_values = values.get("tags").and_then(Json::as_object);
        let mut any_true = false;
        let mut any_false = false;
        for t in tags.iter().filter_map(Json::as_str) {
            match tag_values.and_then(|tv| tv.get(t)).and_then(Json::as_bool) {
                Some(true) => any_true = true,
                Some(false) => any_false = true,
                None => {}
            }
        }
        if any_false && !any_true {
            enabled = false;
        }
    }
    if let Some(cond) = dep.get("condition").and_then(Json::as_str) {
        for path in cond.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let mut segs = path.split('.');
            let mut node = segs.next().and_then(|first| values.get(first));
            for seg in segs {
                node = node.and_then(|n| n.get(seg));
            }
            if let Some(Json::Bool(b)) = node {
                enabled = *b;
                break;
            }
        }
    }
    enabled
}

/// `import-values`: child values copied into the parent's (Helm's
/// `processDependencyImportValues`), applied to the coalesced values.
pub fn import_values(chart: &Chart, values: &mut Map<String, Json>) {
    for sub in &chart.dependencies {
        if let Some(Json::Object(sub_vals)) = values.get_mut(sub.name()) {
            let mut sv = sub_vals.clone();
            import_values(sub, &mut sv);
            *sub_vals = sv;
        }
    }
    let deps = chart
        .metadata
        .get("dependencies")
        .and_then(Json::as_array)
        .cloned()
        .unwrap_or_default();
    for dep in deps {
        let Some(imports) = dep.get("import-values").and_then(Json::as_array) else {
            continue;
        };
        let name = dep
            .get("alias")
            .and_then(Json::as_str)
            .filter(|a| !a.is_empty())
            .or_else(|| dep.get("name").and_then(Json::as_str))
            .unwrap_or("");
        let Some(Json::Object(child)) = values.get(name).cloned() else {
            continue;
        };
        for imp in imports {
            let (child_path, parent_path) = match &imp {
                Json::String(s) => (format!("exports.{s}"), String::new()),
                Json::Object(m) => (
                    m.get("child")
                        .and_then(Json::as_str)
                        .unwrap_or("")
                        .to_string(),
                    m.get("parent")
                        .and_then(Json::as_str)
                        .unwrap_or("")
                        .to_string(),
                ),
                _ => continue,
            };
            let mut node = Some(Json::Object(child.clone()));
            for seg in child_path.split('.').filter(|s| !s.is_empty()) {
                node = node.and_then(|n| n.get(seg).cloned());
            }
            let Some(Json::Object(found)) = node else {
                continue;
            };
            // The parent's own values win over imported ones.
            let target = if parent_path.is_empty() {
                &mut *values
            } else {
                let mut cur = &mut *values;
                for seg in parent_path.split('.').filter(|s| !s.is_empty()) {
                    let e = cur
                        .entry(seg.to_string())
                        .or_insert_with(|| Json::Object(Map::new()));
                    if !e.is_object() {
                        *e = Json::Object(Map::new());
                    }
                    let Json::Object(m) = e else {
                        unreachable!("made an object above")
                    };
                    cur = m;
                }
                cur
            };
            coalesce_tables(target, found, true);
        }
    }
}

/// Helm's `mergeMaps` for `-f` files: later files win, maps merge deeply, nulls are
/// kept (so that coalescing removes the chart's default for that key).
pub fn merge_user_values(base: &mut Map<String, Json>, over: &Map<String, Json>) {
    for (k, v) in over {
        match (base.get_mut(k), v) {
            (Some(Json::Object(b)), Json::Object(o)) => merge_user_values(b, o),
            _ => {
                base.insert(k.clone(), v.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn chart(values: Json, deps: Vec<Chart>, name: &str) -> Chart {
        Chart {
            metadata: std::sync::Arc::new(
                json!({"name": name})
                    .as_object()
                    .cloned()
                    .unwrap_or_default(),
            ),
            values: std::sync::Arc::new(values.as_object().cloned().unwrap_or_default()),
            schema: None,
            templates: Default::default(),
            files: Default::default(),
            dependencies: deps,
            source: String::new(),
        }
    }

    fn with_version(mut c: Chart, version: &str) -> Chart {
        std::sync::Arc::make_mut(&mut c.metadata).insert("version".into(), json!(version));
        c
    }

    #[test]
    fn a_vendored_chart_answers_only_entries_whose_range_holds_its_version() {
        // Helm's processDependencyEnabled: `kong` 3.4.1 under charts/ answers neither
        // `kong =3.2.0` entry (aliases controller, gateway), so it renders as plain `kong`
        // and the entries' conditions do not touch it.
        let kong = with_version(chart(json!({}), vec![], "kong"), "3.4.1");
        let mut top = chart(
            json!({"gateway": {"enabled": false}}),
            vec![kong.clone()],
            "top",
        );
        std::sync::Arc::make_mut(&mut top.metadata).insert(
            "dependencies".into(),
            json!([
                {"name": "kong", "version": "=3.2.0", "alias": "controller"},
                {"name": "kong", "version": "=3.2.0", "alias": "gateway", "condition": "gateway.enabled"},
            ]),
        );
        let names = |c: &Chart| {
            c.dependencies
                .iter()
                .map(|d| d.name().to_string())
                .collect::<Vec<_>>()
        };
        let mut off = top.clone();
        enabled_dependencies(&mut off, &Map::new());
        assert_eq!(names(&off), ["kong"]);
        // With a version in range both aliases answer, and the condition drops one.
        let mut on = top.clone();
        on.dependencies = vec![with_version(kong, "3.2.0")];
        enabled_dependencies(&mut on, &Map::new());
        assert_eq!(names(&on), ["controller"]);
        // An entry without a version answers for no chart (its range does not parse).
        let mut bare = top;
        std::sync::Arc::make_mut(&mut bare.metadata).insert(
            "dependencies".into(),
            json!([{"name": "kong", "alias": "controller"}]),
        );
        bare.dependencies = vec![with_version(chart(json!({}), vec![], "kong"), "3.2.0")];
        enabled_dependencies(&mut bare, &Map::new());
        assert_eq!(names(&bare), ["kong"]);
    }

    #[test]
    fn user_values_win_nulls_delete_and_globals_flow_down() {
        let sub = chart(
            json!({"port": 80, "global": {"region": "sub"}}),
            vec![],
            "sub",
        );
        let top = chart(
            json!({"a": {"b": 1, "c": 2}, "global": {"region": "eu"}, "sub": {"port": 81}}),
            vec![sub],
            "top",
        );
        let user = json!({"a": {"c": null}, "sub": {"extra": true}})
            .as_object()
            .cloned()
            .unwrap_or_default();
        let v = coalesce(&top, &user);
        assert_eq!(Json::Object(v.clone())["a"], json!({"b": 1}));
        assert_eq!(v["sub"]["port"], json!(81));
        assert_eq!(v["sub"]["extra"], json!(true));
        assert_eq!(v["sub"]["global"]["region"], json!("eu"));
    }
}
