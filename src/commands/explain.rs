//! `strata explain`: which file and line set a field of one rendered resource.

use crate::cli::{ExplainArgs, Selection};
use crate::commands::{fleet, CommandError};
use crate::compare::flatten::display;
use crate::error::{Error, ErrorKind};
use crate::fleet::explain::{self, Explanation, Query, Unit};
use crate::fleet::render::expand_targets;
use std::io::Write;

pub fn run(args: &ExplainArgs) -> Result<u8, CommandError> {
    let sel = Selection {
        root: args.root.clone(),
        cluster: None,
        app: None,
        shard: None,
    };
    let (_root, fs, fleet) = fleet::open(&sel)?;
    let mut set = Vec::new();
    for s in &args.set {
        set.extend(crate::fleet::values::parse_set(s).map_err(CommandError::from)?);
    }
    let a = &args.args;
    let (unit, rest) = if let Some(c) = fleet.clusters.iter().find(|c| c.name == a[0]) {
        let Some(app_name) = a.get(1) else {
            return Err(usage());
        };
        let deployed: Vec<&str> = fleet
            .pairs()
            .into_iter()
            .filter(|(pc, _)| pc.name == c.name)
            .map(|(_, pa)| pa.name.as_str())
            .collect();
        let Some(app) = fleet
            .apps
            .iter()
            .find(|x| &x.name == app_name && deployed.contains(&x.name.as_str()))
        else {
            let what = if fleet.apps.iter().any(|x| &x.name == app_name) {
                format!("app {app_name} is not deployed to cluster {}", c.name)
            } else {
                format!("no app {app_name}")
            };
            return Err(missing(format!(
                "{what}; apps on {}: {}",
                c.name,
                deployed.join(", ")
            )));
        };
        (Unit::Pair(c, app), &a[2..])
    } else {
        let targets = if fleet.project.targets.is_empty() {
            Vec::new()
        } else {
            expand_targets(&fs, &fleet.project.targets)?
        };
        let t = a[0].trim_end_matches('/');
        if !targets.iter().any(|x| x == t) {
            let clusters: Vec<&str> = fleet.clusters.iter().map(|c| c.name.as_str()).collect();
            let mut msg = format!(
                "no cluster {}; clusters: {}",
                a[0],
                if clusters.is_empty() {
                    "(none)".to_string()
                } else {
                    clusters.join(", ")
                }
            );
            if !targets.is_empty() {
                msg.push_str(&format!("; targets: {}", targets.join(", ")));
            }
            return Err(missing(msg));
        }
        (Unit::Target(t.to_string()), &a[1..])
    };
    let Some(resource) = rest.first() else {
        return Err(usage());
    };
    if rest.len() > 2 {
        return Err(usage());
    }
    let (kind, name) = resource.split_once('/').ok_or_else(|| {
        Box::new(Error::new(
            ErrorKind::Invalid,
            "",
            format!("'{resource}': name the resource as KIND/NAME, e.g. Deployment/web"),
        )) as CommandError
    })?;
    let query = Query {
        kind: kind.to_string(),
        name: name.to_string(),
        namespace: args.namespace.clone(),
        field: rest.get(1).cloned(),
    };
    let e = explain::explain(&fs, &fleet, &unit, &query, &set)?;
    let text = match args.format.as_str() {
        "json" => serde_json::to_string_pretty(&e)? + "\n",
        _ => to_text(&e, query.field.is_some()),
    };
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(0)
}

fn usage() -> CommandError {
    Box::new(Error::new(
        ErrorKind::Invalid,
        "",
        "usage: strata explain CLUSTER APP KIND/NAME [FIELD], or strata explain TARGET KIND/NAME [FIELD] in targets mode",
    ))
}

fn missing(msg: String) -> CommandError {
    Box::new(Error::new(ErrorKind::Missing, "", msg))
}

/// The text form: a heading, then per field its value and the chain, lowest first,
/// the step that set the final value marked.
pub fn to_text(e: &Explanation, one_field: bool) -> String {
    let mut out = String::new();
    let r = &e.resource;
    let ns = if r.namespace.is_empty() {
        String::new()
    } else {
        format!(" -n {}", r.namespace)
    };
    let place = match &e.cluster {
        Some(c) => format!("cluster {c}, app {}", e.app),
        None => format!("target {}", e.app),
    };
    out.push_str(&format!(
        "{}/{}{ns} ({place})\n  from {} ({}, {})\n",
        r.kind, r.name, e.origin, e.origin.layer, e.origin.mechanism
    ));
    if e.fields.is_empty() {
        out.push_str("\nno field was set or changed by a layer or transformer\n");
        return out;
    }
    for f in &e.fields {
        let value = if f.hidden {
            "(hidden)".to_string()
        } else {
            display(&f.value)
        };
        out.push_str(&format!("\n{} = {value}\n", f.path));
        let cols: Vec<[String; 4]> = f
            .chain
            .iter()
            .map(|s| {
                let mech = match &s.key {
                    Some(k) => format!("{} {k}", s.mechanism),
                    None => s.mechanism.clone(),
                };
                [
                    s.to_string(),
                    s.layer.clone(),
                    mech,
                    s.text.clone().unwrap_or_default(),
                ]
            })
            .collect();
        let width = |i: usize| cols.iter().map(|c| c[i].chars().count()).max().unwrap_or(0);
        let widths = [width(0), width(1), width(2), width(3)];
        for (s, c) in f.chain.iter().zip(&cols) {
            let mut line = String::from(" ");
            for (i, cell) in c.iter().enumerate() {
                line.push(' ');
                line.push_str(cell);
                line.push_str(&" ".repeat(widths[i] - cell.chars().count() + 1));
            }
            if *s == f.set_by {
                line.push_str("<- set it");
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
    }
    let _ = one_field;
    out
}
