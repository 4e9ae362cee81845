//! go-yaml (a port of libyaml) does not check indentation inside a flow collection,
//! yaml-rust2 does: this re-indents the lines of multi-line flow collections so that
//! yaml-rust2 reads what go-yaml reads (bitnami's chainloop values close `args: [` with
//! a `]` under the key).

/// `src` with every line that begins inside a flow collection (`[`/`{` not yet closed)
/// prefixed with spaces past the column of the bracket that opened it. Inside a flow,
/// leading whitespace of a line folds away, so the values stay the same. `None` when
/// no line begins inside a flow collection.
pub fn indent_flow_lines(src: &str) -> Option<String> {
    let mut out = String::with_capacity(src.len() + 256);
    let mut changed = false;
    let mut depth = 0usize;
    // The column past which the lines of the open flow collection go.
    let mut open_col = 0usize;
    let mut quote: Option<char> = None;
    for line in src.split_inclusive('\n') {
        if depth > 0 || quote.is_some() {
            let pad = open_col + 1;
            out.extend(std::iter::repeat_n(' ', pad));
            changed = true;
        }
        let chars: Vec<char> = line.chars().collect();
        let mut prev = ' ';
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            match quote {
                Some('\'') => {
                    if c == '\'' {
                        if chars.get(i + 1) == Some(&'\'') {
                            i += 1;
                        } else {
                            quote = None;
                        }
                    }
                }
                Some(_) => {
                    if c == '\\' {
                        i += 1;
                    } else if c == '"' {
                        quote = None;
                    }
                }
                None => {
                    let at_value = prev.is_whitespace() || "[{,:".contains(prev);
                    if c == '#' && prev.is_whitespace() {
                        break;
                    }
                    if (c == '\'' || c == '"') && at_value {
                        quote = Some(c);
                    } else if (c == '[' || c == '{') && (depth > 0 || block_value_start(&chars, i))
                    {
                        if depth == 0 {
                            open_col = i;
                        }
                        depth += 1;
                    } else if (c == ']' || c == '}') && depth > 0 {
                        depth -= 1;
                    }
                }
            }
            prev = c;
            i += 1;
        }
        out.push_str(line);
    }
    changed.then_some(out)
}

/// Whether `[`/`{` at `i` starts a node in block context: first on its line, or after
/// `key: `, `- ` or `? `.
fn block_value_start(chars: &[char], i: usize) -> bool {
    let before: String = chars[..i].iter().collect();
    let t = before.trim_end();
    t.is_empty()
        || (before.len() > t.len() && (t.ends_with(':') || t.ends_with('-') || t.ends_with('?')))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_inside_a_flow_move_past_its_bracket() {
        assert_eq!(
            indent_flow_lines("a:\n  args: [\n    \"x\",\n  ]\nb: c[0]\n").as_deref(),
            Some("a:\n  args: [\n             \"x\",\n           ]\nb: c[0]\n")
        );
        // Brackets in plain scalars, quotes and comments open nothing.
        assert_eq!(indent_flow_lines("a: c[0\nb: 'x[' # [\nc: \"{\"\n"), None);
    }

    #[test]
    fn helm_reads_flows_closed_left_of_their_key() {
        for src in [
            "a:\n  args: [\n    \"x\",\n    \"y\"\n ]\n",
            "a:\n  args: [\n  \"x\", \"y\"]\n",
            "a:\n  - args: {k: [\n   \"x\", \"y\"\n]}\n",
        ] {
            let docs = crate::yaml::parse_stream_helm(src).expect(src);
            let v = &docs[0].value;
            let args = v["a"].get("args").or_else(|| v["a"][0]["args"].get("k"));
            assert_eq!(args, Some(&serde_json::json!(["x", "y"])), "{src}");
        }
    }
}
