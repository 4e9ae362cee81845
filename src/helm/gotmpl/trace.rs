//! Which template line printed each line of an execution's output: recorded only
//! when asked (`Exec::trace`), carried through `include` and the functions that keep
//! line structure (`nindent`, `indent`, `trim`), for `explain`.

use std::rc::Rc;

/// A template and a 1-based line of it.
pub type Origin = (Rc<str>, u32);

/// The line that printed something, then the `include`/`template` calls it ran
/// under, innermost first: what a helper prints often comes in as its arguments.
pub type Chain = Vec<Origin>;

/// Output from `at` on (to the next span) was printed by the node at `origin`,
/// under the calls `calls` (outermost first).
#[derive(Clone, Debug)]
struct Span {
    at: usize,
    origin: Origin,
    calls: Rc<[Origin]>,
    /// Printed by an action (a value), not template text.
    action: bool,
}

impl Span {
    fn chain(&self) -> Chain {
        std::iter::once(self.origin.clone())
            .chain(self.calls.iter().rev().cloned())
            .collect()
    }
}

/// The record of one execution: a frame of spans per output being written (the
/// template's, then one per `include` under way), the calls under way, and the
/// finished `include` outputs the running action may print.
#[derive(Debug)]
pub struct Trace {
    frames: Vec<(Vec<Span>, usize)>,
    calls: Vec<Origin>,
    /// `calls`, as the spans share it.
    shared: Rc<[Origin]>,
    /// Each finished `include`: its output's lines, trimmed, with their chains.
    pending: Vec<Vec<(String, Option<Chain>)>>,
}

impl Trace {
    /// A trace with the frame of the template's own output open.
    pub fn new() -> Trace {
        Trace {
            frames: vec![(Vec::new(), 0)],
            calls: Vec::new(),
            shared: Rc::from(Vec::new()),
            pending: Vec::new(),
        }
    }
}

impl Default for Trace {
    fn default() -> Trace {
        Trace::new()
    }
}

impl Trace {
    fn spans(&mut self) -> &mut Vec<Span> {
        if self.frames.is_empty() {
            self.frames.push((Vec::new(), 0));
        }
        let last = self.frames.len() - 1;
        &mut self.frames[last].0
    }

    /// A `{{template}}` (or an `include`, see `begin`) called at `site` starts.
    pub fn enter(&mut self, site: Origin) {
        self.calls.push(site);
        self.shared = Rc::from(self.calls.as_slice());
    }

    /// The call `enter` started is over.
    pub fn leave(&mut self) {
        self.calls.pop();
        self.shared = Rc::from(self.calls.as_slice());
    }

    /// Template text `t`, whose first byte is on `line` of `file`, printed at `at`.
    pub fn text(&mut self, at: usize, file: &Rc<str>, line: u32, t: &str) {
        let calls = self.shared.clone();
        let spans = self.spans();
        spans.push(Span {
            at,
            origin: (file.clone(), line),
            calls: calls.clone(),
            action: false,
        });
        for (n, (i, _)) in t.match_indices('\n').enumerate() {
            if i + 1 < t.len() {
                spans.push(Span {
                    at: at + i + 1,
                    origin: (file.clone(), line + n as u32 + 1),
                    calls: calls.clone(),
                    action: false,
                });
            }
        }
    }

    /// How many `include` outputs are finished: an action's mark before it runs.
    pub fn mark(&self) -> usize {
        self.pending.len()
    }

    /// An action on `line` of `file` printed `s` at `at`. Lines of `s` that are lines
    /// of an `include` it called (after `mark`), indented or trimmed, keep the chain
    /// they had there (which ends at the call); the rest are the action's. The
    /// includes are then done with.
    pub fn action(&mut self, at: usize, file: &Rc<str>, line: u32, s: &str, mark: usize) {
        let own = Span {
            at,
            origin: (file.clone(), line),
            calls: self.shared.clone(),
            action: true,
        };
        let included: Vec<(String, Option<Chain>)> = self
            .pending
            .drain(mark.min(self.pending.len())..)
            .flatten()
            .collect();
        let spans = self.spans();
        if included.is_empty() {
            spans.push(own);
            return;
        }
        let mut next = 0;
        let mut start = 0;
        for l in s.split_inclusive('\n') {
            let t = l.trim();
            let found = (!t.is_empty())
                .then(|| included[next..].iter().position(|(x, _)| x == t))
                .flatten();
            let chain = found.and_then(|k| {
                let c = included[next + k].1.clone();
                next += k + 1;
                c
            });
            spans.push(match chain {
                Some(c) if !c.is_empty() => Span {
                    at: at + start,
                    origin: c[0].clone(),
                    calls: c[1..].iter().rev().cloned().collect(),
                    action: true,
                },
                _ => Span {
                    at: at + start,
                    ..own.clone()
                },
            });
            start += l.len();
        }
    }

    /// An `include` called at `site` starts writing its own output.
    pub fn begin(&mut self, site: Origin) {
        let mark = self.pending.len();
        self.frames.push((Vec::new(), mark));
        self.enter(site);
    }

    /// The `include` started by `begin` wrote `out`: keep its lines for the action
    /// that prints them.
    pub fn end(&mut self, out: &str) {
        self.leave();
        let Some((spans, mark)) = self.frames.pop() else {
            return;
        };
        // Includes that ran inside it and were never printed are done with.
        self.pending.truncate(mark);
        let lines = lines_of(out, &spans)
            .into_iter()
            .zip(out.split('\n'))
            .map(|(c, l)| (l.trim().to_string(), c))
            .collect();
        self.pending.push(lines);
    }

    /// The chain of each line of `out`, the output of the template's frame.
    pub fn finish(mut self, out: &str) -> Vec<Option<Chain>> {
        let spans = self
            .frames
            .drain(..)
            .next()
            .map(|f| f.0)
            .unwrap_or_default();
        lines_of(out, &spans)
    }
}

/// The chain of each line of `out` (split at `\n`): of the value printed on it
/// (else of its template text); when several values make up the line (`{{ .repo
/// }}:{{ .tag }}`, or pieces printed by a helper), the calls they share (the line
/// that composed them), else the last one. `None` for blank lines.
fn lines_of(out: &str, spans: &[Span]) -> Vec<Option<Chain>> {
    let mut result = Vec::new();
    let mut k = 0;
    let mut line_start = 0;
    for line in out.split('\n') {
        let line_end = line_start + line.len();
        // The first span that may cover this line starts at or before it.
        while k + 1 < spans.len() && spans[k + 1].at <= line_start {
            k += 1;
        }
        let mut printed: Vec<&Span> = Vec::new();
        let mut j = k;
        while j < spans.len() && spans[j].at < line_end.max(line_start + 1) {
            let from = spans[j].at.max(line_start);
            let to = spans.get(j + 1).map_or(line_end, |n| n.at.min(line_end));
            if from < to && out[from..to].chars().any(|c| !c.is_whitespace()) {
                printed.push(&spans[j]);
            }
            j += 1;
        }
        if printed.iter().any(|s| s.action) {
            printed.retain(|s| s.action);
        }
        result.push(shared_chain(&printed));
        line_start = line_end + 1;
    }
    result
}

/// The one chain of several pieces of a line: what they share from the outermost
/// call in, else the last piece's.
fn shared_chain(pieces: &[&Span]) -> Option<Chain> {
    let (last, rest) = pieces.split_last()?;
    let mut shared: Vec<Origin> = last.chain().into_iter().rev().collect();
    for p in rest {
        let outer_first: Vec<Origin> = p.chain().into_iter().rev().collect();
        let n = shared
            .iter()
            .zip(&outer_first)
            .take_while(|(a, b)| a == b)
            .count();
        shared.truncate(n);
    }
    if shared.is_empty() {
        return Some(last.chain());
    }
    shared.reverse();
    Some(shared)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_is_the_value_printed_on_it_else_its_text() {
        let f: Rc<str> = Rc::from("t");
        let mut t = Trace::new();
        let mut out = String::new();
        t.text(out.len(), &f, 1, "a: 1\nb: ");
        out.push_str("a: 1\nb: ");
        t.action(out.len(), &f, 2, "x", t.mark());
        out.push('x');
        t.text(out.len(), &f, 2, "\n\nc: 3\n");
        out.push_str("\n\nc: 3\n");
        let lines = t.finish(&out);
        let got: Vec<Option<u32>> = lines.iter().map(|c| c.as_ref().map(|c| c[0].1)).collect();
        assert_eq!(got, vec![Some(1), Some(2), None, Some(4), None]);
    }

    #[test]
    fn an_included_line_keeps_its_origin_through_indentation() {
        let f: Rc<str> = Rc::from("t");
        let h: Rc<str> = Rc::from("h");
        let mut t = Trace::new();
        let mut out = String::new();
        t.text(0, &f, 1, "labels:");
        out.push_str("labels:");
        let mark = t.mark();
        t.begin((f.clone(), 2));
        t.text(0, &h, 5, "a: 1\n");
        t.action(5, &h, 6, "b: 2", t.mark());
        t.end("a: 1\nb: 2");
        let printed = "\n  a: 1\n  b: 2";
        t.action(out.len(), &f, 2, printed, mark);
        out.push_str(printed);
        let got: Vec<Vec<(String, u32)>> = t
            .finish(&out)
            .into_iter()
            .map(|c| {
                c.unwrap()
                    .into_iter()
                    .map(|(f, l)| (f.to_string(), l))
                    .collect()
            })
            .collect();
        assert_eq!(
            got,
            vec![
                vec![("t".into(), 1)],
                vec![("h".into(), 5), ("t".into(), 2)],
                vec![("h".into(), 6), ("t".into(), 2)]
            ],
            "each included line, then the call"
        );
    }

    #[test]
    fn a_line_composed_of_several_values_is_the_line_that_composed_them() {
        let f: Rc<str> = Rc::from("t");
        let h: Rc<str> = Rc::from("h");
        let mut t = Trace::new();
        let mut out = String::new();
        t.text(0, &f, 3, "image: ");
        out.push_str("image: ");
        t.action(out.len(), &f, 3, "repo", t.mark());
        out.push_str("repo");
        // `{{ include "digest" . }}` on the same line, printing from line 9 of h.
        let mark = t.mark();
        t.begin((f.clone(), 3));
        t.action(0, &h, 9, "@sha256:1", t.mark());
        t.end("@sha256:1");
        t.action(out.len(), &f, 3, "@sha256:1", mark);
        out.push_str("@sha256:1");
        let got = t.finish(&out);
        assert_eq!(got, vec![Some(vec![(f.clone(), 3)])]);
    }
}
