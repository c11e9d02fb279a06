//! YAML emission that Salt's YAML 1.1 loader reads back exactly.
//!
//! Salt loads SLS files with PyYAML (libyaml when available) using YAML 1.1
//! resolution rules, where `yes`, `off`, `0644`, `1_000`, `2024-01-02` and
//! `.5` are not strings. The emitter therefore only writes a string plain
//! when it is unmistakably a string, and otherwise chooses, in this order:
//! a literal block scalar for multi-line text, a single-quoted scalar for
//! printable single-line text, and a double-quoted scalar with escapes for
//! everything else.

use std::fmt::Write as _;

use crate::value::SaltValue;

/// First line of every emitted SLS file: selects Salt's plain YAML renderer,
/// so Jinja never sees `{{`, `{%` or `{#` inside the data.
pub(crate) const RENDERER_LINE: &str = "#!yaml\n";

/// Indentation added per nesting level.
const INDENT: usize = 2;

/// Rendered keys longer than this use the explicit `? key` form, because YAML
/// limits implicit keys to 1024 characters.
const IMPLICIT_KEY_LIMIT: usize = 512;

/// A YAML node with maps kept in the caller's order (SLS files depend on
/// order), unlike [`SaltValue::Map`] which is sorted by key.
#[derive(Debug, Clone)]
pub(crate) enum Node {
    /// A scalar or a nested value taken as it is.
    Value(SaltValue),
    /// A sequence of nodes.
    Seq(Vec<Node>),
    /// A mapping in insertion order.
    Map(Vec<(String, Node)>),
}

impl Node {
    /// A string scalar.
    pub(crate) fn text(text: impl Into<String>) -> Node {
        Node::Value(SaltValue::String(text.into()))
    }
}

/// Emits a whole SLS document, starting with [`RENDERER_LINE`].
pub(crate) fn document(root: &Node) -> String {
    let mut out = String::from(RENDERER_LINE);
    match root {
        Node::Map(entries) if !entries.is_empty() => {
            map_entries(&mut out, entries, 0, false);
        }
        Node::Seq(items) if !items.is_empty() => {
            seq_items(&mut out, items, 0, false);
        }
        Node::Value(value) if is_collection(value) && !is_empty(value) => {
            document_value(&mut out, value);
        }
        other => {
            let mut line = String::new();
            inline(&mut line, other);
            out.push_str(&line);
            out.push('\n');
        }
    }
    out
}

fn document_value(out: &mut String, value: &SaltValue) {
    match value {
        SaltValue::Map(entries) => {
            let entries: Vec<(String, Node)> = entries
                .iter()
                .map(|(key, value)| (key.clone(), Node::Value(value.clone())))
                .collect();
            map_entries(out, &entries, 0, false);
        }
        SaltValue::List(items) => {
            let items: Vec<Node> =
                items.iter().cloned().map(Node::Value).collect();
            seq_items(out, &items, 0, false);
        }
        _ => {}
    }
}

fn is_collection(value: &SaltValue) -> bool {
    matches!(value, SaltValue::List(_) | SaltValue::Map(_))
}

fn is_empty(value: &SaltValue) -> bool {
    match value {
        SaltValue::List(items) => items.is_empty(),
        SaltValue::Map(entries) => entries.is_empty(),
        _ => false,
    }
}

/// Writes mapping entries whose keys sit at column `indent`. When
/// `continues_line` is set the first key follows a `- ` already written.
fn map_entries(
    out: &mut String,
    entries: &[(String, Node)],
    indent: usize,
    continues_line: bool,
) {
    for (position, (key, value)) in entries.iter().enumerate() {
        if position > 0 || !continues_line {
            pad(out, indent);
        }
        let rendered_key = key_scalar(key);
        if rendered_key.len() > IMPLICIT_KEY_LIMIT {
            out.push_str("? ");
            out.push_str(&rendered_key);
            out.push('\n');
            pad(out, indent);
            out.push(':');
        } else {
            out.push_str(&rendered_key);
            out.push(':');
        }
        after_indicator(out, value, indent);
    }
}

/// Writes sequence items whose `-` sits at column `indent`.
fn seq_items(
    out: &mut String,
    items: &[Node],
    indent: usize,
    continues_line: bool,
) {
    for (position, item) in items.iter().enumerate() {
        if position > 0 || !continues_line {
            pad(out, indent);
        }
        out.push('-');
        match expand(item) {
            Expanded::Map(entries) if !entries.is_empty() => {
                out.push(' ');
                map_entries(out, &entries, indent + INDENT, true);
            }
            Expanded::Seq(nested) if !nested.is_empty() => {
                out.push(' ');
                seq_items(out, &nested, indent + INDENT, true);
            }
            _ => after_indicator(out, item, indent),
        }
    }
}

/// Writes the value that follows a `key:` or `-` indicator. `indent` is the
/// column of that key or dash; nested content goes one level deeper.
fn after_indicator(out: &mut String, value: &Node, indent: usize) {
    match expand(value) {
        Expanded::Map(entries) if !entries.is_empty() => {
            out.push('\n');
            map_entries(out, &entries, indent + INDENT, false);
        }
        Expanded::Seq(items) if !items.is_empty() => {
            out.push('\n');
            seq_items(out, &items, indent + INDENT, false);
        }
        Expanded::Text(text) if literal_block_fits(text) => {
            literal_block(out, text, indent + INDENT);
        }
        _ => {
            out.push(' ');
            inline(out, value);
            out.push('\n');
        }
    }
}

enum Expanded<'a> {
    Map(Vec<(String, Node)>),
    Seq(Vec<Node>),
    Text(&'a str),
    Other,
}

fn expand(node: &Node) -> Expanded<'_> {
    match node {
        Node::Map(entries) => Expanded::Map(entries.clone()),
        Node::Seq(items) => Expanded::Seq(items.clone()),
        Node::Value(SaltValue::Map(entries)) => Expanded::Map(
            entries
                .iter()
                .map(|(key, value)| (key.clone(), Node::Value(value.clone())))
                .collect(),
        ),
        Node::Value(SaltValue::List(items)) => {
            Expanded::Seq(items.iter().cloned().map(Node::Value).collect())
        }
        Node::Value(SaltValue::String(text)) => Expanded::Text(text),
        Node::Value(_) => Expanded::Other,
    }
}

/// Writes a node that fits on the current line: a scalar or an empty
/// collection.
fn inline(out: &mut String, node: &Node) {
    match node {
        Node::Map(_) => out.push_str("{}"),
        Node::Seq(_) => out.push_str("[]"),
        Node::Value(value) => match value {
            SaltValue::Null => out.push_str("null"),
            SaltValue::Bool(true) => out.push_str("true"),
            SaltValue::Bool(false) => out.push_str("false"),
            SaltValue::Int(number) => {
                let _ = write!(out, "{number}");
            }
            SaltValue::Float(number) => out.push_str(&float(*number)),
            SaltValue::String(text) => out.push_str(&flow_scalar(text)),
            SaltValue::List(_) => out.push_str("[]"),
            SaltValue::Map(_) => out.push_str("{}"),
        },
    }
}

fn pad(out: &mut String, indent: usize) {
    out.extend(std::iter::repeat_n(' ', indent));
}

/// A float in a form YAML 1.1 resolves as a float: it needs a dot, and an
/// exponent would need a sign, so the exponent-free form is used.
fn float(number: f64) -> String {
    if number.is_nan() {
        return ".nan".to_owned();
    }
    if number.is_infinite() {
        return if number > 0.0 { ".inf" } else { "-.inf" }.to_owned();
    }
    let mut text = format!("{number}");
    if !text.contains('.') {
        text.push_str(".0");
    }
    text
}

/// Renders a mapping key: never a block scalar, always on one line.
fn key_scalar(text: &str) -> String {
    flow_scalar(text)
}

/// Renders a string as a single-line scalar: plain when unmistakable,
/// otherwise single-quoted when printable, otherwise double-quoted.
pub(crate) fn flow_scalar(text: &str) -> String {
    if plain_is_safe(text) {
        text.to_owned()
    } else if single_quote_is_safe(text) {
        format!("'{}'", text.replace('\'', "''"))
    } else {
        double_quoted(text)
    }
}

/// Words YAML 1.1 (in any case) or other YAML readers resolve to booleans,
/// null or special floats.
const RESERVED_WORDS: &[&str] = &[
    "y", "n", "yes", "no", "true", "false", "on", "off", "null", "nan", "inf",
    "infinity",
];

/// Whether `text` can be written without quotes and still load as this very
/// string under YAML 1.1 and 1.2. Deliberately narrow: a letter, `/` or `_`
/// first, then only letters, digits, `_./+-` and single inner spaces.
fn plain_is_safe(text: &str) -> bool {
    let Some(first) = text.chars().next() else {
        return false;
    };
    if !(first.is_ascii_alphabetic() || first == '/' || first == '_') {
        return false;
    }
    if text.ends_with(' ') || text.contains("  ") {
        return false;
    }
    let allowed = |character: char| {
        character.is_ascii_alphanumeric()
            || matches!(character, '_' | '.' | '/' | '+' | '-' | ' ')
    };
    if !text.chars().all(allowed) {
        return false;
    }
    !RESERVED_WORDS
        .iter()
        .any(|word| word.eq_ignore_ascii_case(text))
}

/// Characters that may appear raw inside a quoted or block scalar. Excludes
/// control characters, every YAML line break other than `\n`, the byte order
/// mark and the non-characters PyYAML rejects.
fn is_printable(character: char) -> bool {
    match character {
        ' '..='~' => true,
        '\u{A0}'..='\u{D7FF}' => !matches!(character, '\u{2028}' | '\u{2029}'),
        '\u{E000}'..='\u{FFFD}' => character != '\u{FEFF}',
        '\u{10000}'..='\u{10FFFF}' => true,
        _ => false,
    }
}

fn single_quote_is_safe(text: &str) -> bool {
    text.chars().all(is_printable)
}

fn double_quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for character in text.chars() {
        match character {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\0' => out.push_str("\\0"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            _ if is_printable(character) => out.push(character),
            _ if u32::from(character) <= 0xFF => {
                let _ = write!(out, "\\x{:02X}", u32::from(character));
            }
            _ => {
                let _ = write!(out, "\\u{:04X}", u32::from(character));
            }
        }
    }
    out.push('"');
    out
}

/// Whether a literal block scalar reproduces `text` exactly: multi-line,
/// printable apart from tabs and `\n`, and with at least one line holding
/// something other than spaces (chomping cannot express blank-only text).
fn literal_block_fits(text: &str) -> bool {
    text.contains('\n')
        && text.chars().all(|character| {
            matches!(character, '\n' | '\t') || is_printable(character)
        })
        && text
            .chars()
            .any(|character| !matches!(character, ' ' | '\n'))
}

/// Writes ` |<indent><chomping>` and the lines of `text` at column `indent`.
fn literal_block(out: &mut String, text: &str, indent: usize) {
    out.push_str(" |");
    // Content that starts with white space would be mistaken for deeper
    // indentation, so the indentation is then stated explicitly.
    if text.starts_with([' ', '\n', '\t']) {
        let _ = write!(out, "{INDENT}");
    }
    let body = text.trim_end_matches('\n');
    let trailing_newlines = text.len() - body.len();
    match trailing_newlines {
        0 => out.push('-'),
        1 => {}
        _ => out.push('+'),
    }
    out.push('\n');
    for line in body.split('\n') {
        if !line.is_empty() {
            pad(out, indent);
            out.push_str(line);
        }
        out.push('\n');
    }
    // The final line break of the body is already written; the others are
    // kept by the `+` indicator.
    for _ in 1..trailing_newlines {
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn value_document(value: SaltValue) -> String {
        document(&Node::Map(vec![("key".to_owned(), Node::Value(value))]))
    }

    #[test]
    fn yaml_1_1_lookalikes_are_quoted() {
        for text in [
            "yes",
            "No",
            "oN",
            "OFF",
            "y",
            "N",
            "true",
            "Null",
            "~",
            "",
            "1.10",
            "0644",
            "1_000",
            "2024_01_02",
            "2024-01-02",
            ".5",
            "0x1f",
            "1e3",
            ".inf",
            "-.inf",
            ".NaN",
            "0b101",
            "190:20:30",
            "+1",
            "-1",
            "=",
            "<<",
        ] {
            let rendered = flow_scalar(text);
            assert!(
                rendered.starts_with('\'') || rendered.starts_with('"'),
                "{text:?} rendered as {rendered}"
            );
        }
    }

    #[test]
    fn indicators_and_comment_markers_are_quoted() {
        for text in [
            "*x",
            "&x",
            "!x",
            "%x",
            "@x",
            "`x",
            "{x",
            "[x",
            "|x",
            ">x",
            "#x",
            "- x",
            "? x",
            ": x",
            "a: b",
            "a #b",
            " lead",
            "trail ",
            "a,b",
            "C:\\Windows",
            "{{ pillar }}",
        ] {
            let rendered = flow_scalar(text);
            assert!(rendered.starts_with('\''), "{text:?} as {rendered}");
        }
    }

    #[test]
    fn ordinary_words_and_paths_stay_plain() {
        for text in ["nginx", "/etc/nginx/nginx.conf", "pkg.installed", "a b"] {
            assert_eq!(flow_scalar(text), text);
        }
    }

    #[test]
    fn single_quotes_are_doubled() {
        assert_eq!(flow_scalar("it's"), "'it''s'");
    }

    #[test]
    fn control_characters_are_escaped_in_double_quotes() {
        assert_eq!(
            flow_scalar("a\tb\r\u{7}\u{85}\u{2028}\u{FEFF}\"\\"),
            r#""a\tb\r\x07\x85\u2028\uFEFF\"\\""#
        );
    }

    #[test]
    fn unicode_stays_readable() {
        assert_eq!(flow_scalar("ünïcødé ✓"), "'ünïcødé ✓'");
    }

    #[test]
    fn block_scalar_chomping_follows_trailing_newlines() {
        assert_eq!(
            value_document("a\nb".into()),
            "#!yaml\nkey: |-\n  a\n  b\n"
        );
        assert_eq!(
            value_document("a\nb\n".into()),
            "#!yaml\nkey: |\n  a\n  b\n"
        );
        assert_eq!(
            value_document("a\n\nb\n\n\n".into()),
            "#!yaml\nkey: |+\n  a\n\n  b\n\n\n"
        );
    }

    #[test]
    fn block_scalar_states_indentation_when_text_starts_with_space() {
        assert_eq!(
            value_document("  a\nb\n".into()),
            "#!yaml\nkey: |2\n    a\n  b\n"
        );
    }

    #[test]
    fn text_that_a_block_cannot_hold_is_double_quoted() {
        assert_eq!(
            value_document("a\r\nb\n".into()),
            "#!yaml\nkey: \"a\\r\\nb\\n\"\n"
        );
        assert_eq!(value_document("\n\n".into()), "#!yaml\nkey: \"\\n\\n\"\n");
        assert_eq!(value_document("  \n".into()), "#!yaml\nkey: \"  \\n\"\n");
    }

    #[test]
    fn floats_keep_a_dot() {
        assert_eq!(float(1.0), "1.0");
        assert_eq!(float(-0.0), "-0.0");
        assert_eq!(float(0.1), "0.1");
        assert_eq!(float(f64::NEG_INFINITY), "-.inf");
        assert!(float(1e300).ends_with(".0"));
    }

    #[test]
    fn nested_collections_render_in_block_style() {
        let value: SaltValue = [
            ("list", SaltValue::from(vec![1, 2])),
            ("empty", SaltValue::List(Vec::new())),
            (
                "maps",
                SaltValue::List(vec![
                    [("a", 1), ("b", 2)].into_iter().collect(),
                    SaltValue::from(vec![vec!["x"]]),
                ]),
            ),
        ]
        .into_iter()
        .collect();
        assert_eq!(
            document(&Node::Value(value)),
            "#!yaml\nempty: []\nlist:\n  - 1\n  - 2\nmaps:\n  - a: 1\n    b: \
             2\n  - - - x\n"
        );
    }

    /// Reads a document back with yaml-rust2. It follows YAML 1.2, which
    /// agrees with YAML 1.1 on everything the emitter quotes; the YAML 1.1
    /// oracle is real Salt, in `tests/salt_oracle.rs`.
    fn parse_back(text: &str) -> SaltValue {
        use yaml_rust2::{Yaml, YamlLoader};
        fn convert(node: &Yaml) -> SaltValue {
            match node {
                Yaml::Null => SaltValue::Null,
                Yaml::Boolean(flag) => SaltValue::Bool(*flag),
                Yaml::Integer(number) => SaltValue::Int(*number),
                Yaml::Real(_) => SaltValue::Float(node.as_f64().unwrap()),
                Yaml::String(text) => SaltValue::String(text.clone()),
                Yaml::Array(items) => {
                    SaltValue::List(items.iter().map(convert).collect())
                }
                Yaml::Hash(entries) => SaltValue::Map(
                    entries
                        .iter()
                        .map(|(key, value)| {
                            let key = key.as_str().expect("string key");
                            (key.to_owned(), convert(value))
                        })
                        .collect(),
                ),
                other => panic!("unexpected node {other:?}"),
            }
        }
        let documents = YamlLoader::load_from_str(text)
            .unwrap_or_else(|error| panic!("{error}:\n{text}"));
        convert(&documents[0])
    }

    fn tricky_string() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<String>(),
            "[ \t\n\r:#'\"\\{}%&*!|>?@`,\\[\\]a-z0-9._-]{0,12}",
            proptest::collection::vec(
                "[ \t]{0,3}[a-z#:-]{0,4}[ \t]{0,2}",
                0..5
            )
            .prop_map(|lines| lines.join("\n")),
        ]
    }

    fn salt_value() -> impl Strategy<Value = SaltValue> {
        let leaf = prop_oneof![
            Just(SaltValue::Null),
            any::<bool>().prop_map(SaltValue::Bool),
            any::<i64>().prop_map(SaltValue::Int),
            any::<f64>()
                .prop_filter("nan never equals itself", |n| !n.is_nan())
                .prop_map(SaltValue::Float),
            tricky_string().prop_map(SaltValue::String),
        ];
        leaf.prop_recursive(3, 48, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6)
                    .prop_map(SaltValue::List),
                proptest::collection::btree_map(tricky_string(), inner, 0..6)
                    .prop_map(SaltValue::Map),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]

        #[test]
        fn emitted_documents_parse_back_to_the_same_value(
            value in salt_value(),
        ) {
            let document =
                document(&Node::Map(vec![("v".to_owned(), Node::Value(value.clone()))]));
            let expected: SaltValue = [("v", value)].into_iter().collect();
            prop_assert_eq!(parse_back(&document), expected, "{}", document);
        }
    }

    #[test]
    fn long_keys_use_the_explicit_form() {
        let key = "k".repeat(IMPLICIT_KEY_LIMIT + 1);
        let rendered =
            document(&Node::Map(vec![(key.clone(), Node::text("v"))]));
        assert_eq!(rendered, format!("#!yaml\n? {key}\n: v\n"));
    }
}
