//! Reads the plain-YAML formulas under `tests/formulas/`, renders them
//! again, and checks with a real `salt-call` that Salt compiles both trees
//! to the same highstate and the same SLS; also checks that the constructs
//! the reader refuses give errors naming file and line.
//!
//! Salt is found through `ONIONCLOUD_SALT_CALL`, then
//! `$HOME/.cache/onioncloud/tools/venv/bin/salt-call`, then `PATH`. Without
//! it the Salt tests print `SKIPPED: …` and pass, unless
//! `ONIONCLOUD_REQUIRE_TOOLS=1`, which turns the absence into a failure.

mod support;

use support::salt_call_or_skip;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use onioncloud_salt::read::{ReadError, read_files, read_sls, read_tree};
use onioncloud_salt::runner::SaltCall;
use onioncloud_salt::{Matcher, SaltValue};

fn formula_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/formulas")
        .join(name)
}

/// The files of a formula directory, keyed by path relative to it, as
/// `SaltCall` expects them.
fn original_files(name: &str) -> BTreeMap<PathBuf, String> {
    fn walk(
        root: &Path,
        relative: &Path,
        files: &mut BTreeMap<PathBuf, String>,
    ) {
        for entry in std::fs::read_dir(root.join(relative)).unwrap() {
            let child = relative.join(entry.unwrap().file_name());
            let full = root.join(&child);
            if full.is_dir() {
                walk(root, &child, files);
            } else {
                files.insert(child, std::fs::read_to_string(full).unwrap());
            }
        }
    }
    let root = formula_dir(name);
    let mut files = BTreeMap::new();
    walk(&root, Path::new(""), &mut files);
    files
}

/// The SLS names of the files under `salt/` of a tree.
fn sls_names(files: &BTreeMap<PathBuf, String>) -> Vec<String> {
    files
        .keys()
        .filter_map(|path| path.strip_prefix("salt").ok())
        .filter(|path| path.extension().is_some_and(|ext| ext == "sls"))
        .filter(|path| *path != Path::new("top.sls"))
        .map(|path| {
            let mut parts: Vec<String> = path
                .with_extension("")
                .components()
                .map(|part| part.as_os_str().to_string_lossy().into_owned())
                .collect();
            if parts.len() > 1
                && parts.last().is_some_and(|last| last == "init")
            {
                parts.pop();
            }
            parts.join(".")
        })
        .collect()
}

/// Salt compiles the list under each state declaration into a set of
/// arguments (strings are the function, single-key maps are arguments),
/// so the position of items in that list carries no meaning. The typed
/// model writes `module.function` (Salt appends the function at the end,
/// where a formula's `module: [function, …]` has it first) and writes
/// arguments before requisites grouped by kind. So, and only so, each
/// declaration list is put in one order: the function first, then the
/// single-key maps ordered by key. Everything else, values, requisite
/// target lists, `order`, `__sls__`, `__sls_included_from__` and
/// `__env__`, is compared as Salt printed it.
fn normalise(shown: &serde_json::Value) -> serde_json::Value {
    let mut shown = shown.clone();
    let Some(states) = shown.as_object_mut() else {
        return shown;
    };
    for body in states.values_mut() {
        let Some(body) = body.as_object_mut() else {
            continue;
        };
        for (key, items) in body.iter_mut() {
            if key.starts_with("__") {
                continue;
            }
            let Some(items) = items.as_array_mut() else {
                continue;
            };
            items.sort_by_key(|item| match item {
                serde_json::Value::String(function) => (0, function.clone()),
                serde_json::Value::Object(arg) => {
                    (1, arg.keys().next().cloned().unwrap_or_default())
                }
                other => (2, other.to_string()),
            });
        }
    }
    shown
}

/// Compares what Salt compiles from the original formula and from the
/// read-and-rendered tree, for each minion id: the highstate, every SLS,
/// and the pillar. Returns the number of states in the highstates.
fn assert_same_in_salt(program: &Path, name: &str, minions: &[&str]) -> usize {
    let original = original_files(name);
    let tree = read_tree(formula_dir(name))
        .unwrap_or_else(|error| panic!("reading {name}: {error}"));
    let rendered = tree
        .render()
        .unwrap_or_else(|error| panic!("rendering {name}: {error}"));
    let mut states = 0;
    for minion in minions {
        let before = SaltCall::new(program, &original, minion).unwrap();
        let after = SaltCall::new(program, &rendered, minion).unwrap();
        let highstate = |call: &SaltCall| {
            call.call("state.show_highstate", &[])
                .unwrap_or_else(|error| panic!("{name} {minion}: {error}"))
        };
        let expected = highstate(&before);
        let actual = highstate(&after);
        assert!(
            expected.as_object().is_some_and(|map| !map.is_empty()),
            "{name} {minion}: original highstate is empty: {expected}"
        );
        assert_eq!(
            normalise(&actual),
            normalise(&expected),
            "{name} {minion}: highstates differ\nrendered tree:\n{rendered:#?}"
        );
        states += expected.as_object().map_or(0, serde_json::Map::len);
        for sls in sls_names(&original) {
            let expected = before
                .show_sls(&sls)
                .unwrap_or_else(|error| panic!("{name} {sls}: {error}"));
            let actual = after
                .show_sls(&sls)
                .unwrap_or_else(|error| panic!("{name} {sls}: {error}"));
            assert_eq!(
                normalise(&actual),
                normalise(&expected),
                "{name} {minion}: show_sls {sls} differs"
            );
        }
        assert_eq!(
            after.pillar_items().unwrap(),
            before.pillar_items().unwrap(),
            "{name} {minion}: pillar differs"
        );
    }
    states
}

#[test]
fn nginx_formula_compiles_the_same() {
    let Some(program) = salt_call_or_skip("nginx_formula") else {
        return;
    };
    let states = assert_same_in_salt(&program, "nginx", &["web-1"]);
    assert_eq!(states, 4);
}

#[test]
fn users_formula_compiles_the_same() {
    let Some(program) = salt_call_or_skip("users_formula") else {
        return;
    };
    assert_same_in_salt(&program, "users", &["web-1", "db-1", "db-2"]);
}

#[test]
fn requisites_formula_compiles_the_same() {
    let Some(program) = salt_call_or_skip("requisites_formula") else {
        return;
    };
    let states = assert_same_in_salt(&program, "requisites", &["web-1"]);
    assert!(states >= 14, "{states} states");
}

#[test]
fn tricky_scalars_reach_salt_with_the_same_types() {
    let Some(program) = salt_call_or_skip("tricky_scalars") else {
        return;
    };
    let tree = read_tree(formula_dir("requisites")).unwrap();
    let rendered = tree.render().unwrap();
    let call = SaltCall::new(&program, &rendered, "web-1").unwrap();
    let shown = call.show_sls("tricky").unwrap();
    let args: BTreeMap<String, serde_json::Value> =
        shown["tricky-values"]["test"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(serde_json::Value::as_object)
            .flat_map(|arg| arg.clone())
            .collect();
    let expect = |key: &str, value: serde_json::Value| {
        assert_eq!(args[key], value, "argument {key}");
    };
    use serde_json::json;
    expect("comment", json!("yes"));
    expect("octal_quoted", json!("0644"));
    expect("octal_plain", json!(644));
    expect("octal_signed", json!(-420));
    expect("hex", json!(31));
    expect("binary", json!(5));
    expect("underscore", json!(1000));
    expect("sexagesimal", json!(685_230));
    expect("version_float", json!(1.1));
    expect("version_string", json!("1.10"));
    expect("float_exp", json!(1000.0));
    expect("not_a_float", json!("1e3"));
    expect("leading_zero_string", json!("08"));
    expect("date", json!("2024-01-02"));
    expect("date_quoted", json!("2024-01-02"));
    expect(
        "flags",
        json!([true, false, true, false, true, false, "y", "n", true, false]),
    );
    expect("nothing", json!(null));
    expect("empty", json!(null));
    expect("tilde_string", json!("~"));
    expect("jinja_looking", json!("{{ not jinja }}"));
    expect("unicode", json!("café ✓"));
    expect("folded", json!("folded text on lines\n"));
    expect("literal", json!("line one\n  indented\n"));
    expect("aliased", json!(["one", "two"]));
    expect("forced_string", json!("0644"));
}

#[test]
fn reading_keeps_sls_names_includes_and_targets() {
    let tree = read_tree(formula_dir("nginx")).unwrap();
    let names: Vec<String> =
        tree.roles().iter().map(|role| role.sls_name()).collect();
    assert_eq!(names, ["nginx", "nginx.config", "nginx.service"]);
    assert_eq!(
        tree.roles()[0].includes(),
        ["nginx.config", "nginx.service"]
    );
    let targets = tree.targets();
    assert_eq!(targets[0].0, Matcher::Glob);
    assert_eq!(
        targets[1],
        (
            Matcher::Grain,
            "kernel:Linux",
            &["nginx.config".to_owned()][..]
        )
    );
    assert_eq!(
        tree.pillar_sls()["nginx"]["nginx"],
        [
            ("server_tokens", SaltValue::Bool(false)),
            ("workers", SaltValue::Int(4))
        ]
        .into_iter()
        .collect::<SaltValue>()
    );
    assert!(
        tree.files()
            .contains_key(Path::new("nginx/files/nginx.conf"))
    );
    let rendered = tree.render().unwrap();
    assert!(rendered.contains_key(Path::new("salt/nginx/config.sls")));
    assert!(rendered.contains_key(Path::new("salt/nginx/files/nginx.conf")));
    // Reading the rendered tree again gives the same tree.
    assert_eq!(read_files(&rendered).unwrap().render().unwrap(), rendered);
}

fn refusal(files: &[(&str, &str)]) -> String {
    let files: BTreeMap<PathBuf, String> = files
        .iter()
        .map(|(path, text)| (PathBuf::from(path), (*text).to_owned()))
        .collect();
    match read_files(&files) {
        Ok(tree) => panic!("read {files:?} as {tree:?}"),
        Err(error) => {
            assert!(error.location().is_some(), "{error}");
            error.to_string()
        }
    }
}

fn one_sls(text: &str) -> String {
    refusal(&[("salt/a.sls", text)])
}

#[test]
fn refused_constructs_name_file_and_line() {
    assert_eq!(
        one_sls("x:\n  test.nop: []\nextend:\n  y:\n    file: []\n"),
        "salt/a.sls:3: `extend` is not supported; change the extended \
         states themselves"
    );
    assert_eq!(
        one_sls("exclude:\n  - sls: b\n"),
        "salt/a.sls:1: `exclude` is not supported; leave the excluded \
         states out instead"
    );
    assert_eq!(
        one_sls("x:\n  test.nop:\n    - name: {{ name }}\n"),
        "salt/a.sls:3: jinja delimiter `{{` in a file salt renders with \
         jinja; only plain yaml can be read (start the file with `#!yaml` \
         if the text is data)"
    );
    assert_eq!(
        one_sls("{% for x in y %}\n{% endfor %}\n"),
        "salt/a.sls:1: jinja delimiter `{%` in a file salt renders with \
         jinja; only plain yaml can be read (start the file with `#!yaml` \
         if the text is data)"
    );
    assert!(
        one_sls("#!jinja|yaml\n{# note #}\nx: {test.nop: []}\n")
            .starts_with("salt/a.sls:2: jinja delimiter `{#`")
    );
    assert_eq!(
        one_sls("#!py\ndef run():\n    return {}\n"),
        "salt/a.sls:1: renderer `py` is not supported; only `#!yaml`, \
         `#!jinja|yaml` or no shebang can be read"
    );
    assert_eq!(
        one_sls("x:\n  pkg:\n    - name: git\n"),
        "salt/a.sls:2: no function under `pkg`; expected a function such \
         as `- installed`"
    );
    assert_eq!(
        one_sls("x:\n  pkg:\n    - installed\n    - latest\n"),
        "salt/a.sls:4: a second function `latest`; expected one function \
         per state"
    );
    assert_eq!(
        one_sls("x:\n  pkg.installed:\n    name: git\n"),
        "salt/a.sls:3: a mapping under `pkg.installed`; expected a list of \
         arguments (write `[]` for none)"
    );
    assert_eq!(
        one_sls("x:\n  pkg.installed:\n    - require: {pkg: y}\n"),
        "salt/a.sls:3: a mapping after `require`; expected a list of targets"
    );
    assert_eq!(
        one_sls("- x\n"),
        "salt/a.sls:1: a list; expected a mapping of state ids"
    );
    assert_eq!(
        one_sls("x:\n  pkg.installed:\n    - require:\n      - pkg: nope\n"),
        "salt/a.sls:4: require requisite on `pkg: nope` matches no state of \
         the tree"
    );
    assert_eq!(
        one_sls("x:\n  test.nop:\n    - watch_any:\n      - sls: gone\n"),
        "salt/a.sls:4: watch_any requisite on `sls: gone` matches no sls of \
         the tree"
    );
    assert_eq!(
        one_sls("include:\n  - missing\n"),
        "salt/a.sls:2: sls `missing` is not in the tree"
    );
    assert_eq!(
        one_sls("include:\n  - ..up\n"),
        "salt/a.sls:2: relative include `..up` goes above the top of the \
         file tree"
    );
    assert_eq!(
        one_sls("include:\n  - web.*\n"),
        "salt/a.sls:2: glob `web.*` is not supported; list the names"
    );
    assert_eq!(
        one_sls("x:\n  test.nop:\n    - opts:\n        <<: {a: 1}\n"),
        "salt/a.sls:4: the merge key `<<` is not supported"
    );
    assert_eq!(
        one_sls("x:\n  test.nop:\n    - n: !!int 3\n"),
        "salt/a.sls:3: the tag `!!int` is not supported"
    );
    assert_eq!(
        one_sls("x: {test.nop: []}\n---\ny: {test.nop: []}\n"),
        "salt/a.sls:2: a second yaml document is not supported"
    );
    assert_eq!(
        one_sls("x: {test.nop: []}\nx: {test.nop: []}\n"),
        "salt/a.sls:2: key `x` appears twice in one mapping"
    );
    assert_eq!(
        one_sls("80:\n  test.nop: []\n"),
        "salt/a.sls:1: the scalar `80`, which yaml reads as a non-string \
         key; expected a string key (quote it)"
    );
    assert_eq!(
        one_sls("x:\n  test.nop:\n    - size: 99999999999999999999\n"),
        "salt/a.sls:3: the integer `99999999999999999999` (beyond 64 bits \
         or empty) is not supported"
    );
    assert_eq!(
        one_sls("x:\n  pkg.installed.now: []\n"),
        "salt/a.sls:2: state `x` is invalid"
    );
    assert_eq!(
        one_sls("x: [\n"),
        "salt/a.sls:2: invalid yaml: while parsing a node, did not find \
         expected node content"
    );
    assert_eq!(
        refusal(&[
            ("salt/a.sls", "git:\n  pkg.installed: []\n"),
            ("salt/b/init.sls", "\n\ngit:\n  pkg.latest: []\n"),
        ]),
        "salt/b/init.sls:3: state id `git` is already declared at \
         salt/a.sls:1"
    );
    assert_eq!(
        refusal(&[
            ("salt/a.sls", "x: {test.nop: []}\n"),
            ("salt/a/init.sls", "y: {test.nop: []}\n"),
        ]),
        "salt/a.sls: sls `a` is also defined by salt/a/init.sls"
    );
    assert_eq!(
        refusal(&[("salt/top.sls", "dev:\n  '*':\n    - a\n")]),
        "salt/top.sls:1: environment `dev` is not supported, only `base`"
    );
    assert_eq!(
        refusal(&[("salt/top.sls", "base:\n  '*':\n    - a\n")]),
        "salt/top.sls:3: sls `a` is not in the tree"
    );
    assert_eq!(
        refusal(&[
            ("salt/a.sls", "x: {test.nop: []}\n"),
            (
                "salt/top.sls",
                "base:\n  '*':\n    - match: fuzzy\n    - a\n"
            ),
        ]),
        "salt/top.sls:3: a mapping; expected one `match: \
         glob|pcre|list|grain|grain_pcre|pillar|pillar_pcre|pillar_exact|\
         compound|ipcidr|nodegroup`"
    );
    assert_eq!(
        refusal(&[("salt/my.file.sls", "x: {test.nop: []}\n")]),
        "salt/my.file.sls: path is not an sls name: use parts of ascii \
         letters, digits, `_` or `-`, starting with a letter or digit"
    );
    assert_eq!(
        refusal(&[("pillar/a.sls", "include:\n  - b\n")]),
        "pillar/a.sls:1: `include` in pillar is not supported"
    );
}

#[test]
fn a_single_file_resolves_requisites_within_itself() {
    let error = read_sls(
        "web.sls",
        "x:\n  test.nop:\n    - require:\n      - pkg: elsewhere\n",
    )
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "web.sls:4: require requisite on `pkg: elsewhere` matches no state \
         of this file"
    );
    assert!(matches!(error, ReadError::UnknownRequisiteTarget { .. }));
    let role = read_sls(
        "web/init.sls",
        "include:\n  - .extra\nx:\n  test.nop:\n    - require:\n      - \
         sls: web.extra\n",
    )
    .unwrap();
    assert_eq!(role.includes(), ["web.extra"]);
}
