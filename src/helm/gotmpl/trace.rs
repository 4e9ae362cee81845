//! Which template line printed each line of an execution's output: recorded only
//! when asked (`Exec::trace`), carried through `include` and the functions that keep
//! line structure (`nindent`, `indent`, `trim`), for `explain`.

use std::rc::Rc;

/// A template and a 1-based line of it.
pub type Origin = (Rc<str>, u32);

/// Output from `at` on (to the next span) was printed by the node at `origin`.
#[derive(Clone, Debug)]
struct Span {
    at: usize,
    origin: Origin,
    /// Printed by an action (a value), not template text.
    action: bool,
}

/// The record of one execution: a frame of spans per output being written (the
/// template's, then one per `include` under way), and the finished `include`
/// outputs the running action may print.
#[derive(Debug)]
pub struct Trace {
    frames: Vec<(Vec<Span>, usize)>,
    /// Each finished `include`: its output's lines, trimmed, with their origins.
    pending: Vec<Vec<(String, Option<Origin>)>>,
}

impl Trace {
    /// A trace with the frame of the template's own output open.
    pub fn new() -> Trace {
        Trace {
            frames: vec![(Vec::new(), 0)],
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

    /// Template text `t`, whose first byte is on `line` of `file`, printed at `at`.
    pub fn text(&mut self, at: usize, file: &Rc<str>, line: u32, t: &str) {
        let spans = self.spans();
        spans.push(Span {
            at,
            origin: (file.clone(), line),
            action: false,
        });
        for (n, (i, _)) in t.match_indices('\n').enumerate() {
            if i + 1 < t.len() {
                spans.push(Span {
                    at: at + i + 1,
                    origin: (file.clone(), line + n as u32 + 1),
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
    /// of an `include` it called (after `mark`), indented or trimmed, keep the origin
    /// they had there; the rest are the action's. The includes are then done with.
    pub fn action(&mut self, at: usize, file: &Rc<str>, line: u32, s: &str, mark: usize) {
        let own: Origin = (file.clone(), line);
        let included: Vec<(String, Option<Origin>)> = self
            .pending
            .drain(mark.min(self.pending.len())..)
            .flatten()
            .collect();
        let spans = self.spans();
        if included.is_empty() {
            spans.push(Span {
                at,
                origin: own,
                action: true,
            });
            return;
        }
        let mut next = 0;
        let mut start = 0;
        for l in s.split_inclusive('\n') {
            let t = l.trim();
            let found = (!t.is_empty())
                .then(|| included[next..].iter().position(|(x, _)| x == t))
                .flatten();
            let origin = match found {
                Some(k) => {
                    let o = included[next + k].1.clone();
                    next += k + 1;
                    o.unwrap_or_else(|| own.clone())
                }
                None => own.clone(),
            };
            spans.push(Span {
                at: at + start,
                origin,
                action: true,
            });
            start += l.len();
        }
    }

    /// An `include` starts writing its own output.
    pub fn begin(&mut self) {
        let mark = self.pending.len();
        self.frames.push((Vec::new(), mark));
    }

    /// The `include` started by `begin` wrote `out`: keep its lines for the action
    /// that prints them.
    pub fn end(&mut self, out: &str) {
        let Some((spans, mark)) = self.frames.pop() else {
            return;
        };
        // Includes that ran inside it and were never printed are done with.
        self.pending.truncate(mark);
        let lines = lines_of(out, &spans)
            .into_iter()
            .zip(out.split('\n'))
            .map(|(o, l)| (l.trim().to_string(), o))
            .collect();
        self.pending.push(lines);
    }

    /// The origin of each line of `out`, the output of the template's frame.
    pub fn finish(mut self, out: &str) -> Vec<Option<Origin>> {
        let spans = self
            .frames
            .drain(..)
            .next()
            .map(|f| f.0)
            .unwrap_or_default();
        lines_of(out, &spans)
    }
}

/// The origin of each line of `out` (split at `\n`): the last value printed on it,
/// else the last template text with something other than spaces; `None` for blank
/// lines.
fn lines_of(out: &str, spans: &[Span]) -> Vec<Option<Origin>> {
    let mut result = Vec::new();
    let mut k = 0;
    let mut line_start = 0;
    for line in out.split('\n') {
        let line_end = line_start + line.len();
        // The first span that may cover this line starts at or before it.
        while k + 1 < spans.len() && spans[k + 1].at <= line_start {
            k += 1;
        }
        let mut best: Option<&Span> = None;
        let mut j = k;
        while j < spans.len() && spans[j].at < line_end.max(line_start + 1) {
            let from = spans[j].at.max(line_start);
            let to = spans.get(j + 1).map_or(line_end, |n| n.at.min(line_end));
            let printed = from < to && out[from..to].chars().any(|c| !c.is_whitespace());
            if printed && (spans[j].action || best.is_none_or(|b| !b.action)) {
                best = Some(&spans[j]);
            }
            j += 1;
        }
        result.push(best.map(|s| s.origin.clone()));
        line_start = line_end + 1;
    }
    result
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
        let got: Vec<Option<u32>> = lines.iter().map(|o| o.as_ref().map(|o| o.1)).collect();
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
        t.begin();
        t.text(0, &h, 5, "a: 1\n");
        t.action(5, &h, 6, "b: 2", t.mark());
        t.end("a: 1\nb: 2");
        let printed = "\n  a: 1\n  b: 2";
        t.action(out.len(), &f, 2, printed, mark);
        out.push_str(printed);
        let got: Vec<Option<(String, u32)>> = t
            .finish(&out)
            .into_iter()
            .map(|o| o.map(|(f, l)| (f.to_string(), l)))
            .collect();
        assert_eq!(
            got,
            vec![
                Some(("t".into(), 1)),
                Some(("h".into(), 5)),
                Some(("h".into(), 6))
            ]
        );
    }
}
