//! Checks rendered trees against a real `salt-call`.
//!
//! Salt is found through `ONIONCLOUD_SALT_CALL`, then
//! `$HOME/.cache/onioncloud/tools/venv/bin/salt-call`, then `PATH`. Without
//! it each test prints `SKIPPED: …` and passes, unless
//! `ONIONCLOUD_REQUIRE_TOOLS=1`, which turns the absence into a failure.

mod support;

use support::salt_call_or_skip;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use onioncloud_salt::runner::{SaltCall, StateResult};
use onioncloud_salt::{
    CmdRun, FileDirectory, FileManaged, Matcher, PkgInstalled, Requisite, Role,
    SaltTree, SaltValue, ServiceRunning, State, UserPresent,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence, TestRunner};

/// The package the web role installs. In test mode Salt's `pkg.installed`
/// only compares with the installed packages (dpkg) and answers "would
/// install" (`result: None`) without asking apt whether the package exists,
/// so the test needs neither network nor apt lists.
const WEB_PACKAGE: &str = "nginx";

/// Two roles for two minions: `base` for both, `web` for one of them.
fn two_role_tree() -> SaltTree {
    let mut base = Role::new("base");
    let tools = base.add(
        FileDirectory::new("/srv/onioncloud")
            .id("onioncloud-dir")
            .mode(0o755)
            .makedirs(true),
    );
    base.add(
        UserPresent::new("onioncloud")
            .home("/srv/onioncloud")
            .shell("/bin/sh")
            .system(true)
            .require(&tools),
    );

    let mut web = Role::new("web");
    let package = web.add(PkgInstalled::new(WEB_PACKAGE).refresh(false));
    let config = web.add(
        FileManaged::new("/srv/onioncloud/nginx/site.conf")
            .id("nginx-site")
            .contents("server {\n    listen 80;\n}\n")
            .mode(0o644)
            .makedirs(true)
            .require(&package)
            .require(&tools),
    );
    let service = web.add(
        ServiceRunning::new(WEB_PACKAGE)
            .id("nginx-service")
            .enable(true)
            .watch(&config),
    );
    web.add(
        CmdRun::new("nginx -t -c /srv/onioncloud/nginx/site.conf")
            .id("nginx-config-check")
            .onchanges(&config),
    );
    // Added last, but the reverse requisite makes it run before the service.
    web.add(
        State::new("site-ready", "test.succeed_without_changes")
            .requisite(Requisite::RequireIn, &service),
    );

    let mut tree = SaltTree::new();
    tree.assign("web-1.example.org", &base);
    tree.assign("web-1.example.org", &web);
    tree.assign("db-1", &base);
    tree.set_pillar("web-1.example.org", "port", 8080);
    tree.set_pillar("db-1", "port", 5432);
    tree
}

/// The state arguments `state.show_sls` reports for one id:
/// `{"module.function": [{"arg": value} …]}` flattened to
/// `(function, [(arg, value)])`.
fn shown_state(
    shown: &serde_json::Value,
    id: &str,
) -> (String, Vec<(String, serde_json::Value)>) {
    let body = shown
        .get(id)
        .and_then(serde_json::Value::as_object)
        .unwrap_or_else(|| panic!("show_sls has no state `{id}`: {shown}"));
    for (module, entries) in body {
        if module.starts_with("__") {
            continue;
        }
        let entries = entries.as_array().expect("state body is a list");
        let mut function = None;
        let mut args = Vec::new();
        for entry in entries {
            match entry {
                serde_json::Value::String(name) => {
                    function = Some(name.clone())
                }
                serde_json::Value::Object(arg) => {
                    for (key, value) in arg {
                        args.push((key.clone(), value.clone()));
                    }
                }
                other => panic!("unexpected entry {other} in `{id}`"),
            }
        }
        let function = function.expect("state has a function");
        return (format!("{module}.{function}"), args);
    }
    panic!("state `{id}` has no module: {shown}");
}

fn arg<'a>(
    args: &'a [(String, serde_json::Value)],
    name: &str,
) -> &'a serde_json::Value {
    args.iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value)
        .unwrap_or_else(|| panic!("no argument `{name}` in {args:?}"))
}

#[test]
fn two_roles_compile_with_intended_requisites() {
    let Some(program) = salt_call_or_skip("two_roles_compile") else {
        return;
    };
    let files = two_role_tree().render().expect("tree renders");
    let started = Instant::now();
    let web_minion = SaltCall::new(&program, &files, "web-1.example.org")
        .expect("scratch tree");

    let web = web_minion
        .show_sls("roles.web")
        .expect("show_sls roles.web");
    let (function, args) = shown_state(&web, "nginx-site");
    assert_eq!(function, "file.managed");
    assert_eq!(arg(&args, "mode"), "0644");
    assert_eq!(arg(&args, "makedirs"), true);
    assert_eq!(
        arg(&args, "require"),
        &serde_json::json!([{"pkg": "nginx"}, {"file": "onioncloud-dir"}])
    );
    let (function, args) = shown_state(&web, "nginx-service");
    assert_eq!(function, "service.running");
    assert_eq!(
        arg(&args, "watch"),
        &serde_json::json!([{"file": "nginx-site"}])
    );
    let (function, args) = shown_state(&web, "nginx-config-check");
    assert_eq!(function, "cmd.run");
    assert_eq!(
        arg(&args, "onchanges"),
        &serde_json::json!([{"file": "nginx-site"}])
    );
    let (_, args) = shown_state(&web, "site-ready");
    assert_eq!(
        arg(&args, "require_in"),
        &serde_json::json!([{"service": "nginx-service"}])
    );
    // The cross-role requisite pulled in the base role.
    shown_state(&web, "onioncloud-dir");

    let db_minion =
        SaltCall::new(&program, &files, "db-1").expect("scratch tree");
    let base = db_minion
        .show_sls("roles.base")
        .expect("show_sls roles.base");
    let (function, args) = shown_state(&base, "onioncloud");
    assert_eq!(function, "user.present");
    assert_eq!(
        arg(&args, "require"),
        &serde_json::json!([{"file": "onioncloud-dir"}])
    );
    let port = db_minion.pillar_get("port").expect("pillar");
    assert_eq!(port, Some(serde_json::json!(5432)));
    assert_eq!(db_minion.pillar_get("missing").expect("pillar"), None);
    eprintln!("show_sls ×2 + pillar.get took {:?}", started.elapsed());
}

/// Like [`shown_state`], for the state of one module under an id that
/// several modules share.
fn shown_module(
    shown: &serde_json::Value,
    id: &str,
    module: &str,
) -> (String, Vec<(String, serde_json::Value)>) {
    let body = shown
        .get(id)
        .and_then(|body| body.get(module))
        .unwrap_or_else(|| panic!("show_sls has no `{module}` in `{id}`"));
    let single = serde_json::json!({ id: { module: body } });
    shown_state(&single, id)
}

/// `PkgInstalled::new("nginx")` and `ServiceRunning::new("nginx")` in one
/// role: one id, two modules, as Salt allows.
fn shared_id_tree() -> SaltTree {
    let mut web = Role::new("web");
    let package = web.add(PkgInstalled::new(WEB_PACKAGE).refresh(false));
    let site = web.add(
        FileManaged::new("/srv/onioncloud/nginx/site.conf")
            .contents("server {\n    listen 80;\n}\n")
            .mode(0o644)
            .makedirs(true)
            .require(&package),
    );
    web.add(
        ServiceRunning::new(WEB_PACKAGE)
            .enable(true)
            .require(&package)
            .watch(&site),
    );
    let mut tree = SaltTree::new();
    tree.assign("web-1", &web);
    tree
}

#[test]
fn one_id_with_two_modules_compiles_and_applies() {
    let Some(program) = salt_call_or_skip("one_id_two_modules") else {
        return;
    };
    let files = shared_id_tree().render().expect("tree renders");
    let runner =
        SaltCall::new(&program, &files, "web-1").expect("scratch tree");

    let shown = runner.show_sls("roles.web").expect("show_sls roles.web");
    let (function, args) = shown_module(&shown, WEB_PACKAGE, "pkg");
    assert_eq!(function, "pkg.installed");
    assert_eq!(arg(&args, "name"), WEB_PACKAGE);
    let (function, args) = shown_module(&shown, WEB_PACKAGE, "service");
    assert_eq!(function, "service.running");
    assert_eq!(arg(&args, "name"), WEB_PACKAGE);
    assert_eq!(arg(&args, "enable"), true);
    assert_eq!(
        arg(&args, "require"),
        &serde_json::json!([{"pkg": WEB_PACKAGE}])
    );
    assert_eq!(
        arg(&args, "watch"),
        &serde_json::json!([{"file": "/srv/onioncloud/nginx/site.conf"}])
    );
    let (_, args) = shown_state(&shown, "/srv/onioncloud/nginx/site.conf");
    assert_eq!(
        arg(&args, "require"),
        &serde_json::json!([{"pkg": WEB_PACKAGE}])
    );

    let results = runner.apply_test(None).expect("state.apply test=True");
    for result in &results {
        eprintln!(
            "  {} {} {:?} {}",
            result.function,
            result.id,
            result.result,
            result.comment.lines().next().unwrap_or_default()
        );
    }
    assert_no_failures("web-1", &results);
    let run: Vec<(&str, &str)> = results
        .iter()
        .map(|result| (result.function.as_str(), result.id.as_str()))
        .collect();
    assert_eq!(
        run,
        [
            ("pkg.installed", WEB_PACKAGE),
            ("file.managed", "/srv/onioncloud/nginx/site.conf"),
            ("service.running", WEB_PACKAGE),
        ],
        "states in run order"
    );
}

fn assert_no_failures(minion: &str, results: &[StateResult]) {
    assert!(!results.is_empty(), "{minion}: no state results");
    let failed: Vec<_> = results
        .iter()
        .filter(|result| result.result == Some(false))
        .collect();
    assert!(failed.is_empty(), "{minion}: failed states: {failed:#?}");
}

#[test]
fn two_roles_apply_in_test_mode() {
    let Some(program) = salt_call_or_skip("two_roles_apply_test") else {
        return;
    };
    let files = two_role_tree().render().expect("tree renders");
    for (minion, expected) in [
        (
            "web-1.example.org",
            &[
                "onioncloud-dir",
                "onioncloud",
                "nginx",
                "nginx-site",
                "site-ready",
                "nginx-service",
                "nginx-config-check",
            ][..],
        ),
        ("db-1", &["onioncloud-dir", "onioncloud"][..]),
    ] {
        let started = Instant::now();
        let runner =
            SaltCall::new(&program, &files, minion).expect("scratch tree");
        let results = runner.apply_test(None).expect("state.apply test=True");
        eprintln!(
            "{minion}: state.apply test=True took {:?}",
            started.elapsed()
        );
        for result in &results {
            eprintln!(
                "  {} {} {:?} {}",
                result.function,
                result.id,
                result.result,
                result.comment.lines().next().unwrap_or_default()
            );
        }
        assert_no_failures(minion, &results);
        let ids: Vec<&str> =
            results.iter().map(|result| result.id.as_str()).collect();
        assert_eq!(ids, expected, "{minion}: states in run order");
    }
}

#[test]
fn apply_really_changes_files_and_reports_failures() {
    let Some(program) = salt_call_or_skip("apply_changes_files") else {
        return;
    };
    let target = tempfile::tempdir().expect("target dir");
    let path = target.path().join("nested/motd");
    let path_text = path.display().to_string();
    let mut role = Role::new("motd");
    let motd = role.add(
        FileManaged::new(path_text.clone())
            .id("motd")
            .contents("{{ not jinja }}\nyes\n")
            .mode(0o640)
            .makedirs(true),
    );
    role.add(
        CmdRun::new("test -s motd")
            .id("motd-check")
            .arg("cwd", path.parent().unwrap().display().to_string())
            .onchanges(&motd),
    );
    role.add(
        CmdRun::new("false")
            .id("always-fails")
            .creates("/nonexistent-x"),
    );
    let mut tree = SaltTree::new();
    tree.assign("m1", &role);
    let runner = SaltCall::new(&program, &tree.render().unwrap(), "m1")
        .expect("scratch tree");

    let results = runner.apply(Some("roles.motd")).expect("state.apply");
    let by_id: BTreeMap<&str, &StateResult> = results
        .iter()
        .map(|result| (result.id.as_str(), result))
        .collect();
    assert_eq!(by_id["motd"].result, Some(true), "{results:#?}");
    assert!(by_id["motd"].has_changes());
    assert_eq!(by_id["motd-check"].result, Some(true), "{results:#?}");
    assert_eq!(by_id["always-fails"].result, Some(false));
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "{{ not jinja }}\nyes\n"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o7777, 0o640);
    }

    // Second run: the file is in place, so nothing changes and the
    // onchanges command does not run.
    let again = runner.apply(Some("roles.motd")).expect("state.apply");
    let motd = again.iter().find(|result| result.id == "motd").unwrap();
    assert_eq!(motd.result, Some(true));
    assert!(!motd.has_changes(), "{motd:#?}");
}

#[test]
fn unknown_function_fails_that_state_only() {
    let Some(program) = salt_call_or_skip("unknown_function") else {
        return;
    };
    let mut role = Role::new("odd");
    role.add(State::new("nothing", "nosuchmodule.nosuchfunction"));
    role.add(State::new("fine", "test.succeed_without_changes"));
    let mut tree = SaltTree::new();
    tree.assign("m1", &role);
    let runner = SaltCall::new(&program, &tree.render().unwrap(), "m1")
        .expect("scratch tree");
    let results = runner.apply_test(None).expect("state.apply test=True");
    let outcome: Vec<(&str, Option<bool>)> = results
        .iter()
        .map(|result| (result.id.as_str(), result.result))
        .collect();
    assert_eq!(outcome, [("nothing", Some(false)), ("fine", Some(true))]);
    assert!(results[0].comment.contains("was not found"), "{results:#?}");
}

#[test]
fn unparsable_sls_is_a_compile_error_with_salt_messages() {
    let Some(program) = salt_call_or_skip("unparsable_sls") else {
        return;
    };
    let mut role = Role::new("broken");
    role.add(State::new("fine", "test.nop"));
    let mut tree = SaltTree::new();
    tree.assign("m1", &role);
    let mut files = tree.render().unwrap();
    files.insert(
        PathBuf::from("salt/roles/broken.sls"),
        "#!yaml\nfine: [unclosed\n".to_owned(),
    );
    let runner = SaltCall::new(&program, &files, "m1").expect("scratch tree");
    let error = runner.apply_test(None).unwrap_err().to_string();
    assert!(
        error.starts_with("salt-call state.apply could not compile"),
        "{error}"
    );
    assert!(error.contains("roles.broken"), "{error}");
    let error = runner.show_sls("roles.broken").unwrap_err().to_string();
    assert!(error.contains("roles.broken"), "{error}");
}

#[test]
fn unparsable_pillar_is_an_error_not_an_empty_pillar() {
    let Some(program) = salt_call_or_skip("unparsable_pillar") else {
        return;
    };
    let mut tree = SaltTree::new();
    tree.set_pillar("m1", "fine", true);
    let mut files = tree.render().unwrap();
    files.insert(
        PathBuf::from("pillar/minions/m1.sls"),
        "#!yaml\nfine: [unclosed\n".to_owned(),
    );
    let runner = SaltCall::new(&program, &files, "m1").expect("scratch tree");
    let error = runner.pillar_items().unwrap_err().to_string();
    assert!(
        error.starts_with("salt could not render the pillar"),
        "{error}"
    );
    assert!(error.contains("minions.m1"), "{error}");
}

#[test]
fn typed_values_survive_salt() {
    let Some(program) = salt_call_or_skip("typed_values") else {
        return;
    };
    // Salt prints NaN and infinities as bare `NaN`/`Infinity`, which is not
    // JSON, so they are left out here.
    let values: BTreeMap<&str, SaltValue> = BTreeMap::from([
        ("null", SaltValue::Null),
        ("true", true.into()),
        ("false", false.into()),
        ("zero", 0.into()),
        ("min", i64::MIN.into()),
        ("max", i64::MAX.into()),
        ("tenth", 0.1.into()),
        ("huge", 1e300.into()),
        ("tiny", 5e-324.into()),
        ("negative", (-2.5).into()),
        ("whole", 3.0.into()),
        ("empty-list", SaltValue::List(Vec::new())),
        ("empty-map", SaltValue::Map(BTreeMap::new())),
        (
            "nested",
            SaltValue::List(vec![
                [("a", SaltValue::from(vec![1, 2])), ("b", "0644".into())]
                    .into_iter()
                    .collect(),
                SaltValue::from(vec![vec!["yes"], vec![]]),
            ]),
        ),
    ]);
    let mut tree = SaltTree::new();
    for (key, value) in &values {
        tree.set_pillar("m1", *key, value.clone());
    }
    let runner = SaltCall::new(&program, &tree.render().unwrap(), "m1")
        .expect("scratch tree");
    let pillar = runner.pillar_items().expect("pillar.items");
    let loaded = SaltValue::from_json(&pillar).expect("salt values");
    let expected: SaltValue = values.into_iter().collect();
    assert_eq!(loaded, expected);
}

#[test]
fn missing_sls_is_a_compile_error() {
    let Some(program) = salt_call_or_skip("missing_sls") else {
        return;
    };
    let runner =
        SaltCall::new(&program, &SaltTree::new().render().unwrap(), "m1")
            .expect("scratch tree");
    let error = runner.show_sls("roles.absent").unwrap_err().to_string();
    assert!(
        error.starts_with("salt-call state.show_sls could not compile"),
        "{error}"
    );
    assert!(error.contains("roles.absent"), "{error}");
}

/// Strings YAML 1.1 (and Salt) are most likely to misread.
const NASTY: &[&str] = &[
    "yes",
    "Yes",
    "YES",
    "yEs",
    "no",
    "No",
    "NO",
    "on",
    "On",
    "ON",
    "off",
    "Off",
    "OFF",
    "y",
    "Y",
    "n",
    "N",
    "true",
    "True",
    "TRUE",
    "false",
    "False",
    "FALSE",
    "null",
    "Null",
    "NULL",
    "~",
    "",
    "1.10",
    "0644",
    "0o17",
    "0b101",
    "1_000",
    "2024_01_02",
    "2024-01-02",
    "2024-01-02T03:04:05Z",
    "2001-12-14 21:59:43.10 -5",
    ".5",
    "+.5",
    "-.5",
    "0x1f",
    "0X1F",
    "1e3",
    "1E3",
    "1e+3",
    "1.0e+3",
    ".inf",
    "-.inf",
    ".Inf",
    ".nan",
    ".NaN",
    "NaN",
    "inf",
    "190:20:30",
    "+1",
    "-1",
    "-0",
    "=",
    "<<",
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
    "-x",
    "? x",
    "?x",
    ": x",
    ":x",
    "a: b",
    "a:b",
    "a #b",
    "a#b",
    "' x",
    "\" x",
    " lead",
    "trail ",
    " ",
    "  ",
    "\t",
    "tab\there",
    "\u{0}",
    "\u{7}",
    "\u{1b}[0m",
    "\u{7f}",
    "\u{85}",
    "\u{a0}",
    "\u{2028}",
    "\u{2029}",
    "\u{feff}x",
    "\u{fffe}",
    "ünïcødé",
    "日本語",
    "🦀 crab",
    "e\u{301}",
    "\u{200b}",
    "C:\\Windows\\System32",
    "\\\\server\\share",
    "\\n",
    "\\",
    "\\\"",
    "it's",
    "\"quoted\"",
    "'single'",
    "{{ pillar['x'] }}",
    "{% if x %}",
    "{# comment #}",
    "{{",
    "%}",
    "#}",
    "${HOME}",
    "$(id)",
    "a,b",
    "[1, 2]",
    "{a: 1}",
    "---",
    "...",
    "--- x",
    "... x",
    "line\n",
    "line\nline",
    "line\nline\n",
    "line\nline\n\n",
    "\nline",
    "\n\nline\n",
    "  indented\n",
    " \nx",
    "x\n ",
    "x\n \n",
    "x \ny ",
    "a\r\nb\r\n",
    "a\rb",
    "\r",
    "\n",
    "\n\n",
    " \n",
    "#!jinja\n{{ x }}\n",
    "key: value\n- item\n",
    "---\nx\n...\n",
    "\ttabbed\n\tlines\n",
    "trailing\t\n",
    "x\u{85}y\n",
    "x\u{2028}y\n",
];

/// Strings biased toward the nasty ones: a nasty string as it is, one glued
/// into arbitrary text, or arbitrary unicode and multi-line text.
fn nasty_string() -> impl Strategy<Value = String> {
    let pick = proptest::sample::select(NASTY).prop_map(str::to_owned);
    prop_oneof![
        4 => pick.clone(),
        2 => (pick.clone(), pick.clone(), "[ \n\t:#-]{0,2}")
            .prop_map(|(left, right, glue)| format!("{left}{glue}{right}")),
        2 => any::<String>(),
        1 => "[ a-z0-9\\t\\n\\r:#'\"\\\\{}%-]{0,24}",
        1 => proptest::collection::vec(
            "[ \\t]{0,3}[a-z#:{}-]{0,6}[ \\t]{0,2}",
            0..5,
        )
        .prop_map(|lines| lines.join("\n")),
    ]
}

/// Puts every string in one pillar file (as values and as keys) and one SLS
/// (as `file.managed` contents), then compares what Salt loaded.
fn salt_round_trip(
    program: &PathBuf,
    strings: &[String],
) -> Result<(), TestCaseError> {
    let values: Vec<SaltValue> =
        strings.iter().map(|text| text.as_str().into()).collect();
    let as_keys: SaltValue = strings
        .iter()
        .enumerate()
        .map(|(index, text)| (text.clone(), index as i64))
        .collect();
    let mut role = Role::new("strings");
    for (index, text) in strings.iter().enumerate() {
        role.add(
            FileManaged::new(format!("/nonexistent/onioncloud/{index}"))
                .id(format!("string-{index}"))
                .contents(text.as_str()),
        );
    }
    let mut tree = SaltTree::new();
    tree.assign("m1", &role);
    tree.set_pillar("m1", "values", values);
    tree.set_pillar("m1", "keys", as_keys.clone());
    let files = tree.render().map_err(|error| {
        TestCaseError::fail(format!("render failed: {error}"))
    })?;
    let runner = SaltCall::new(program, &files, "m1")
        .map_err(|error| TestCaseError::fail(error.to_string()))?;

    let pillar = runner
        .pillar_items()
        .map_err(|error| TestCaseError::fail(error.to_string()))?;
    let shown = runner
        .show_sls("roles.strings")
        .map_err(|error| TestCaseError::fail(error.to_string()))?;

    let mut mismatches = Vec::new();
    let loaded_values = pillar.get("values").and_then(|v| v.as_array());
    for (index, text) in strings.iter().enumerate() {
        let loaded = loaded_values
            .and_then(|values| values.get(index))
            .cloned()
            .unwrap_or(serde_json::Value::Null);
        if loaded.as_str() != Some(text.as_str()) {
            mismatches
                .push(format!("pillar value {text:?} came back {loaded}"));
        }
        let (_, args) = shown_state(&shown, &format!("string-{index}"));
        let contents = arg(&args, "contents");
        if contents.as_str() != Some(text.as_str()) {
            mismatches.push(format!("contents {text:?} came back {contents}"));
        }
    }
    let expected_keys = as_keys.to_json();
    if pillar.get("keys") != Some(&expected_keys) {
        let loaded = pillar.get("keys").cloned().unwrap_or_default();
        let loaded = loaded.as_object().cloned().unwrap_or_default();
        for key in expected_keys.as_object().unwrap().keys() {
            if !loaded.contains_key(key) {
                mismatches.push(format!("pillar key {key:?} went missing"));
            }
        }
        for key in loaded.keys() {
            if !expected_keys.as_object().unwrap().contains_key(key) {
                mismatches.push(format!("pillar key came back as {key:?}"));
            }
        }
    }
    if mismatches.is_empty() {
        Ok(())
    } else {
        let sls = files
            .iter()
            .map(|(path, text)| format!("== {}\n{text}", path.display()))
            .collect::<Vec<_>>()
            .join("\n");
        Err(TestCaseError::fail(format!(
            "{} strings did not survive salt:\n{}\n\nrendered files:\n{sls}",
            mismatches.len(),
            mismatches.join("\n")
        )))
    }
}

#[test]
fn every_nasty_string_survives_salt() {
    let Some(program) = salt_call_or_skip("every_nasty_string") else {
        return;
    };
    let started = Instant::now();
    let mut strings: Vec<String> =
        NASTY.iter().map(|text| (*text).to_owned()).collect();
    // Long enough to need YAML's explicit `? key` form as pillar keys.
    strings.push("k".repeat(1500));
    strings.push(format!("{}: # {{{{ x }}}}", "é".repeat(700)));
    strings.push(format!("{}\n", "line with trailing space \n".repeat(80)));
    if let Err(error) = salt_round_trip(&program, &strings) {
        panic!("{error}");
    }
    eprintln!(
        "{} nasty strings round-tripped in {:?}",
        strings.len(),
        started.elapsed()
    );
}

#[test]
fn generated_strings_survive_salt() {
    let Some(program) = salt_call_or_skip("generated_strings") else {
        return;
    };
    let started = Instant::now();
    // Four batches of 64 strings: 256 strings, two salt-call runs a batch.
    // Failing seeds are saved in the crate's proptest-regressions/ (cargo
    // runs integration tests from the crate root) and replayed first.
    let config = Config {
        cases: 4,
        max_shrink_iters: 24,
        source_file: Some(file!()),
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "proptest-regressions/salt_oracle.txt",
        ))),
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let outcome = runner
        .run(&proptest::collection::vec(nasty_string(), 64), |strings| {
            salt_round_trip(&program, &strings)
        });
    if let Err(error) = outcome {
        panic!("{error}");
    }
    eprintln!(
        "256 generated strings round-tripped in {:?}",
        started.elapsed()
    );
}

#[test]
fn targets_match_minions_as_salt_matches_them() {
    let Some(program) = salt_call_or_skip("targets_match_minions") else {
        return;
    };
    let role = |name: &str| {
        let mut role = Role::new(name);
        role.add(State::new(format!("{name}-nop"), "test.nop"));
        role
    };
    let mut tree = SaltTree::new();
    tree.assign("web-1", &role("base"));
    tree.target(Matcher::Grain, "id:web-*", &role("by-grain"));
    tree.target(
        Matcher::Compound,
        "G@id:web-1 and not db-*",
        &role("by-compound"),
    );
    tree.target(Matcher::Glob, "web-?", &role("by-glob"));
    tree.target(Matcher::List, "db-1,db-2", &role("by-list"));
    tree.target(Matcher::Pcre, "^db-[0-9]+$", &role("db"));
    let files = tree.render().expect("tree renders");

    let matched = |minion: &str| {
        let call = SaltCall::new(&program, &files, minion).expect("scratch");
        let top = call.call("state.show_top", &[]).expect("show_top");
        let mut sls: Vec<String> = top["base"]
            .as_array()
            .unwrap_or_else(|| panic!("no base env for {minion}: {top}"))
            .iter()
            .map(|s| s.as_str().unwrap().to_owned())
            .collect();
        sls.sort();
        sls
    };
    assert_eq!(
        matched("web-1"),
        [
            "roles.base",
            "roles.by-compound",
            "roles.by-glob",
            "roles.by-grain"
        ]
    );
    assert_eq!(matched("db-1"), ["roles.by-list", "roles.db"]);
}
