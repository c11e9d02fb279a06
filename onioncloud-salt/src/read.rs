//! Reading existing plain-YAML Salt formulas into [`Role`]s and a
//! [`SaltTree`].
//!
//! [`read_tree`] reads a directory holding `salt/` (`top.sls` and SLS
//! files) and optionally `pillar/`; [`read_files`] does the same for files
//! already in memory, keyed like the output of [`SaltTree::render`]; and
//! [`read_sls`] reads a single SLS file. Rendering the result again gives a
//! tree Salt compiles to the same highstate.
//!
//! # What is kept
//!
//! Each SLS file becomes a role made with [`Role::at_sls`], named by its
//! SLS name (`nginx/init.sls` is `nginx`, `nginx/config.sls` is
//! `nginx.config`), with its `include` list in order (relative includes
//! such as `.config` resolved as Salt does). It is written back at
//! `salt/<name with dots as slashes>.sls` (so `nginx/init.sls` becomes
//! `nginx.sls`, the same SLS to Salt), and `sls` requisites, includes, the
//! top file and `__sls__` stay as they were.
//!
//! States keep their ids, functions and arguments. A state written
//! `id: {module: [function, args…]}` or `id: module.function` is written
//! back as `id: {module.function: [args…]}`. Requisites (every keyword,
//! their `_in` and `_any` forms, `onfail_all`) keep their targets as
//! written: `{pkg: nginx}`, a bare `nginx`, `{id: nginx}` or
//! `{sls: nginx.config}`; a target may name a state by id or by a name, as
//! in Salt. Salt compiles the list under a state function into a set of
//! arguments, so the order of argument and requisite items (which the
//! typed [`State`] writes as arguments first, then requisites by kind) is
//! not kept; nor is the key order of maps nested inside argument values,
//! which [`SaltValue`] sorts.
//!
//! The top file's `base` targets become [`SaltTree::target`] entries with
//! their [`Matcher`]; a pillar directory becomes [`SaltTree::set_pillar_sls`]
//! and [`SaltTree::target_pillar`]. Other files under `salt/` (templates
//! and sources of `file.managed`, say) are kept verbatim with
//! [`SaltTree::add_file`]; they must be UTF-8. Hidden files and
//! directories (starting with `.`) are not read.
//!
//! # Values
//!
//! Plain scalars are resolved as Salt's YAML 1.1 loader does: `yes`/`no`,
//! `on`/`off` are booleans, `1.10` is the float 1.1, `1_000` is 1000,
//! `0x1f` and `0b101` are integers, `190:20:30` is sexagesimal, and, as
//! Salt strips leading zeros, an unsigned `0644` is the integer 644. Dates
//! and timestamps stay strings, as Salt leaves them. Quoted scalars are
//! strings.
//!
//! # What is refused
//!
//! Every error names the file and, where the YAML gives it, the line.
//! Refused: Jinja (a file without `#!yaml` that contains `{{`, `{%` or
//! `{#`, since Salt's default renderer is `jinja|yaml`), any other
//! renderer, `extend`, `exclude`, YAML merge keys, explicit tags other than
//! `!!str`, several YAML documents, non-string mapping keys, repeated
//! keys, integers beyond 64 bits, state ids declared twice in the tree,
//! requisites and includes that name nothing in the tree, glob patterns in
//! includes, requisites and the top file, environments other than `base`,
//! and any shape Salt does not compile into states.
//!
//! ```
//! use std::collections::BTreeMap;
//! use std::path::PathBuf;
//!
//! let files = BTreeMap::from([
//!     (
//!         PathBuf::from("salt/top.sls"),
//!         "base:\n  'web*':\n    - nginx\n".to_owned(),
//!     ),
//!     (
//!         PathBuf::from("salt/nginx/init.sls"),
//!         "nginx:\n  pkg:\n    - installed\n  service.running:\n    \
//!          - require:\n      - pkg: nginx\n"
//!             .to_owned(),
//!     ),
//! ]);
//! let tree = onioncloud_salt::read::read_files(&files)?;
//! let rendered = tree.render()?;
//! assert_eq!(
//!     rendered[&PathBuf::from("salt/nginx.sls")],
//!     "#!yaml\nnginx:\n  pkg.installed: []\n  service.running:\n    \
//!      - require:\n        - pkg: nginx\n"
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use crate::state::{Requisite, State, StateError, StateRef};
use crate::top::Matcher;
use crate::tree::{Origin, Role, SaltTree};
use crate::value::SaltValue;

/// Where a problem is: a file and, when known, a line (counted from 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file, as given or relative to the tree that was read.
    pub file: PathBuf,
    /// The line, when the YAML parser gives one.
    pub line: Option<usize>,
}

impl std::fmt::Display for Location {
    /// Writes `file:line`, or `file` without a line.
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(formatter, "{}:{line}", self.file.display()),
            None => write!(formatter, "{}", self.file.display()),
        }
    }
}

/// Errors reading a formula.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// A file or directory could not be read.
    #[error("cannot read {}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The tree has no `salt` directory.
    #[error("{} has no `salt` directory", root.display())]
    NoSaltDirectory {
        /// The directory that was read.
        root: PathBuf,
    },
    /// A file is not UTF-8 text.
    #[error("{location}: file is not utf-8 text")]
    NotUtf8 {
        /// The file.
        location: Location,
    },
    /// A file that Salt would render with Jinja contains Jinja.
    #[error(
        "{location}: jinja delimiter `{delimiter}` in a file salt renders \
         with jinja; only plain yaml can be read (start the file with \
         `#!yaml` if the text is data)"
    )]
    Jinja {
        /// The file and line of the first delimiter.
        location: Location,
        /// The delimiter, like `{{`.
        delimiter: String,
    },
    /// The shebang selects a renderer other than YAML.
    #[error(
        "{location}: renderer `{renderer}` is not supported; only `#!yaml`, \
         `#!jinja|yaml` or no shebang can be read"
    )]
    Renderer {
        /// The file.
        location: Location,
        /// The renderer as written after `#!`.
        renderer: String,
    },
    /// The YAML does not parse.
    #[error("{location}: invalid yaml: {problem}")]
    Yaml {
        /// Where the parser stopped.
        location: Location,
        /// What the parser found there, like `mapping values are not
        /// allowed in this context`.
        problem: String,
    },
    /// A YAML feature Salt formulas rarely need and this reader does not
    /// model, like merge keys or explicit tags.
    #[error("{location}: {feature} is not supported")]
    UnsupportedYaml {
        /// Where it is.
        location: Location,
        /// What it is.
        feature: String,
    },
    /// A mapping has a key twice (Salt refuses it too).
    #[error("{location}: key `{key}` appears twice in one mapping")]
    DuplicateKey {
        /// The second occurrence.
        location: Location,
        /// The key.
        key: String,
    },
    /// `extend` changes states of other SLS files, which a role cannot
    /// express.
    #[error(
        "{location}: `extend` is not supported; change the extended states \
         themselves"
    )]
    Extend {
        /// Where it is.
        location: Location,
    },
    /// `exclude` removes states or SLS from the highstate, which a role
    /// cannot express.
    #[error(
        "{location}: `exclude` is not supported; leave the excluded states \
         out instead"
    )]
    Exclude {
        /// Where it is.
        location: Location,
    },
    /// Something has a shape Salt does not compile, or one this reader
    /// does not know.
    #[error("{location}: {found}; expected {expected}")]
    Shape {
        /// Where it is.
        location: Location,
        /// What was found.
        found: String,
        /// What was expected there.
        expected: String,
    },
    /// A state is invalid on its own.
    #[error("{location}: state `{id}` is invalid")]
    InvalidState {
        /// Where the state is.
        location: Location,
        /// The state id.
        id: String,
        /// What is wrong with it.
        source: Box<StateError>,
    },
    /// A state id is declared in two SLS files of the tree.
    #[error("{location}: state id `{id}` is already declared at {first}")]
    DuplicateId {
        /// The second declaration.
        location: Location,
        /// The id.
        id: String,
        /// The first declaration.
        first: Location,
    },
    /// A requisite names no state (or SLS) of the file or tree read.
    #[error("{location}: {kind} requisite on `{target}` matches no {scope}")]
    UnknownRequisiteTarget {
        /// Where the requisite is.
        location: Location,
        /// The requisite kind.
        kind: Requisite,
        /// The target as written, like `pkg: nginx`.
        target: String,
        /// What was searched, like `state of the tree`.
        scope: String,
    },
    /// An include or top file entry names an SLS the tree does not have.
    #[error("{location}: sls `{sls}` is not in the tree")]
    UnknownSls {
        /// Where it is named.
        location: Location,
        /// The SLS name.
        sls: String,
    },
    /// A relative include climbs above the top of the file tree.
    #[error(
        "{location}: relative include `{include}` goes above the top of the \
         file tree"
    )]
    RelativeInclude {
        /// Where it is.
        location: Location,
        /// The include as written.
        include: String,
    },
    /// A glob where this reader needs a plain name.
    #[error("{location}: glob `{pattern}` is not supported; list the names")]
    Glob {
        /// Where it is.
        location: Location,
        /// The pattern.
        pattern: String,
    },
    /// A top file environment other than `base`.
    #[error(
        "{location}: environment `{environment}` is not supported, only `base`"
    )]
    Environment {
        /// Where it is.
        location: Location,
        /// The environment.
        environment: String,
    },
    /// A file path does not make an SLS name of simple names.
    #[error(
        "{location}: path is not an sls name: use parts of ascii letters, \
         digits, `_` or `-`, starting with a letter or digit"
    )]
    BadPath {
        /// The file.
        location: Location,
    },
    /// Two files define one SLS, like `a.sls` and `a/init.sls`.
    #[error("{location}: sls `{sls}` is also defined by {}", other.display())]
    DuplicateSls {
        /// One file.
        location: Location,
        /// The SLS name.
        sls: String,
        /// The other file.
        other: PathBuf,
    },
}

impl ReadError {
    /// Where the problem is, for errors tied to one file.
    pub fn location(&self) -> Option<&Location> {
        match self {
            ReadError::Io { .. } | ReadError::NoSaltDirectory { .. } => None,
            ReadError::NotUtf8 { location }
            | ReadError::Jinja { location, .. }
            | ReadError::Renderer { location, .. }
            | ReadError::Yaml { location, .. }
            | ReadError::UnsupportedYaml { location, .. }
            | ReadError::DuplicateKey { location, .. }
            | ReadError::Extend { location }
            | ReadError::Exclude { location }
            | ReadError::Shape { location, .. }
            | ReadError::InvalidState { location, .. }
            | ReadError::DuplicateId { location, .. }
            | ReadError::UnknownRequisiteTarget { location, .. }
            | ReadError::UnknownSls { location, .. }
            | ReadError::RelativeInclude { location, .. }
            | ReadError::Glob { location, .. }
            | ReadError::Environment { location, .. }
            | ReadError::BadPath { location }
            | ReadError::DuplicateSls { location, .. } => Some(location),
        }
    }
}

/// Reads one SLS file. `path` is relative to the state tree root, like
/// `nginx/init.sls` (SLS `nginx`) or `nginx/config.sls` (SLS
/// `nginx.config`); it gives the SLS name, resolves relative includes and
/// names the file in errors.
///
/// Requisites must point at states of this file, or be `sls`
/// requisites; read the whole tree with [`read_tree`] for requisites
/// between files.
pub fn read_sls(path: impl AsRef<Path>, text: &str) -> Result<Role, ReadError> {
    let path = path.as_ref();
    let sls = sls_name_of(path, path)?;
    let file = parse_sls(path, &sls, is_init(path), text)?;
    let lookup = [&file];
    resolve_role(&file, &lookup, false)
}

/// Reads a directory holding `salt/` (with `top.sls`) and optionally
/// `pillar/`. Errors name files under `root`.
pub fn read_tree(root: impl AsRef<Path>) -> Result<SaltTree, ReadError> {
    let root = root.as_ref();
    if !root.join("salt").is_dir() {
        return Err(ReadError::NoSaltDirectory {
            root: root.to_owned(),
        });
    }
    let mut files = BTreeMap::new();
    for top in ["salt", "pillar"] {
        if root.join(top).is_dir() {
            collect_files(root, Path::new(top), &mut files)?;
        }
    }
    let mut texts = BTreeMap::new();
    for (relative, bytes) in files {
        match String::from_utf8(bytes) {
            Ok(text) => {
                texts.insert(relative, text);
            }
            Err(_) => {
                return Err(ReadError::NotUtf8 {
                    location: at(&root.join(&relative), None),
                });
            }
        }
    }
    read_files_at(root, &texts)
}

/// Reads a tree from files keyed by path relative to its root
/// (`salt/top.sls`, `salt/nginx/init.sls`, `pillar/top.sls`, …), like
/// the output of [`SaltTree::render`]. Errors name files by these keys.
pub fn read_files(
    files: &BTreeMap<PathBuf, String>,
) -> Result<SaltTree, ReadError> {
    read_files_at(Path::new(""), files)
}

fn collect_files(
    root: &Path,
    relative: &Path,
    files: &mut BTreeMap<PathBuf, Vec<u8>>,
) -> Result<(), ReadError> {
    let directory = root.join(relative);
    let entries =
        std::fs::read_dir(&directory).map_err(|source| ReadError::Io {
            path: directory.clone(),
            source,
        })?;
    for entry in entries {
        let entry = entry.map_err(|source| ReadError::Io {
            path: directory.clone(),
            source,
        })?;
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        let child = relative.join(&name);
        let full = root.join(&child);
        if full.is_dir() {
            collect_files(root, &child, files)?;
        } else {
            let bytes = std::fs::read(&full)
                .map_err(|source| ReadError::Io { path: full, source })?;
            files.insert(child, bytes);
        }
    }
    Ok(())
}

fn at(file: &Path, line: Option<usize>) -> Location {
    Location {
        file: file.to_owned(),
        line,
    }
}

fn is_init(path: &Path) -> bool {
    path.file_name().is_some_and(|name| name == "init.sls")
}

/// The SLS name of a path relative to a file root: `a/b.sls` is `a.b`,
/// `a/init.sls` is `a`.
fn sls_name_of(relative: &Path, shown: &Path) -> Result<String, ReadError> {
    let bad = || ReadError::BadPath {
        location: at(shown, None),
    };
    let mut parts = Vec::new();
    for component in relative.components() {
        let std::path::Component::Normal(part) = component else {
            return Err(bad());
        };
        parts.push(part.to_str().ok_or_else(bad)?.to_owned());
    }
    let last = parts.pop().ok_or_else(bad)?;
    let stem = last.strip_suffix(".sls").ok_or_else(bad)?;
    if stem.contains('.') || parts.iter().any(|part| part.contains('.')) {
        return Err(bad());
    }
    if stem != "init" || parts.is_empty() {
        parts.push(stem.to_owned());
    }
    let name = parts.join(".");
    if !crate::tree::valid_sls_name(&name) {
        return Err(bad());
    }
    Ok(name)
}

fn read_files_at(
    root: &Path,
    files: &BTreeMap<PathBuf, String>,
) -> Result<SaltTree, ReadError> {
    let shown = |relative: &Path| root.join(relative);
    let mut sls_files: BTreeMap<String, SlsFile> = BTreeMap::new();
    let mut sls_paths: BTreeMap<String, PathBuf> = BTreeMap::new();
    let mut state_top = None;
    let mut pillar_top = None;
    let mut pillar_files = BTreeMap::new();
    let mut other_files = BTreeMap::new();
    for (relative, text) in files {
        let file = shown(relative);
        if let Ok(inner) = relative.strip_prefix("salt") {
            if inner == Path::new("top.sls") {
                state_top = Some((file, text));
            } else if inner.extension().is_some_and(|ext| ext == "sls") {
                let sls = sls_name_of(inner, &file)?;
                if let Some(other) = sls_paths.get(&sls) {
                    return Err(ReadError::DuplicateSls {
                        location: at(&file, None),
                        sls,
                        other: other.clone(),
                    });
                }
                sls_paths.insert(sls.clone(), file.clone());
                let parsed = parse_sls(&file, &sls, is_init(inner), text)?;
                sls_files.insert(sls, parsed);
            } else {
                other_files.insert(inner.to_owned(), text.clone());
            }
        } else if let Ok(inner) = relative.strip_prefix("pillar") {
            if inner == Path::new("top.sls") {
                pillar_top = Some((file, text));
            } else {
                let sls = sls_name_of(inner, &file)?;
                if pillar_files.contains_key(&sls) {
                    return Err(ReadError::DuplicateSls {
                        location: at(&file, None),
                        sls,
                        other: file.clone(),
                    });
                }
                pillar_files.insert(sls, parse_pillar(&file, text)?);
            }
        } else {
            return Err(ReadError::Shape {
                location: at(&file, None),
                found: "a file outside `salt/` and `pillar/`".to_owned(),
                expected: "only those two directories".to_owned(),
            });
        }
    }

    check_unique_ids(&sls_files)?;
    for file in sls_files.values() {
        for (include, line) in &file.includes {
            if !sls_files.contains_key(include) {
                return Err(ReadError::UnknownSls {
                    location: at(&file.path, Some(*line)),
                    sls: include.clone(),
                });
            }
        }
    }
    let lookup: Vec<&SlsFile> = sls_files.values().collect();
    let mut roles = BTreeMap::new();
    for (sls, file) in &sls_files {
        roles.insert(sls.clone(), resolve_role(file, &lookup, true)?);
    }

    let mut tree = SaltTree::new();
    // Roles first, in SLS order, so that every SLS is written even when
    // only includes reach it.
    for role in roles.values() {
        tree.add_role(role);
    }
    if let Some((file, text)) = state_top {
        for (matcher, expression, items) in parse_top(&file, text)? {
            for (sls, line) in items {
                let role =
                    roles.get(&sls).ok_or_else(|| ReadError::UnknownSls {
                        location: at(&file, Some(line)),
                        sls: sls.clone(),
                    })?;
                tree.target(matcher, expression.clone(), role);
            }
        }
    }
    if let Some((file, text)) = pillar_top {
        for (matcher, expression, items) in parse_top(&file, text)? {
            for (sls, line) in items {
                if !pillar_files.contains_key(&sls) {
                    return Err(ReadError::UnknownSls {
                        location: at(&file, Some(line)),
                        sls,
                    });
                }
                tree.target_pillar(matcher, expression.clone(), sls);
            }
        }
    }
    for (sls, data) in pillar_files {
        tree.set_pillar_sls(sls, data);
    }
    for (path, text) in other_files {
        tree.add_file(path, text);
    }
    Ok(tree)
}

fn check_unique_ids(
    sls_files: &BTreeMap<String, SlsFile>,
) -> Result<(), ReadError> {
    let mut first: BTreeMap<&str, Location> = BTreeMap::new();
    for file in sls_files.values() {
        let mut seen_here = std::collections::BTreeSet::new();
        for declared in &file.states {
            let id = declared.state.id();
            if !seen_here.insert(id) {
                continue;
            }
            let here = at(&file.path, Some(declared.id_line));
            if let Some(existing) = first.get(id) {
                return Err(ReadError::DuplicateId {
                    location: here,
                    id: id.to_owned(),
                    first: existing.clone(),
                });
            }
            first.insert(id, here);
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// YAML with line numbers.

#[derive(Debug, Clone)]
enum Yaml {
    Scalar {
        text: String,
        style: TScalarStyle,
        tag: Option<Tag>,
    },
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

#[derive(Debug, Clone)]
struct Node {
    line: usize,
    yaml: Yaml,
}

#[derive(Default)]
struct Events {
    events: Vec<(Event, Marker)>,
}

impl MarkedEventReceiver for Events {
    fn on_event(&mut self, event: Event, mark: Marker) {
        self.events.push((event, mark));
    }
}

struct Builder<'a> {
    file: &'a Path,
    events: Vec<(Event, Marker)>,
    position: usize,
    anchors: BTreeMap<usize, Node>,
}

impl Builder<'_> {
    fn unsupported(&self, line: usize, feature: &str) -> ReadError {
        ReadError::UnsupportedYaml {
            location: at(self.file, Some(line)),
            feature: feature.to_owned(),
        }
    }

    fn next(&mut self) -> (Event, usize) {
        let next = self
            .events
            .get(self.position)
            .map(|(event, mark)| (event.clone(), mark.line()))
            .unwrap_or((Event::StreamEnd, 0));
        self.position += 1;
        next
    }

    fn node(&mut self) -> Result<Option<Node>, ReadError> {
        let (event, line) = self.next();
        let (anchor, node) = match event {
            Event::Alias(id) => {
                return match self.anchors.get(&id) {
                    Some(node) => Ok(Some(node.clone())),
                    None => Err(self.unsupported(line, "an unknown alias")),
                };
            }
            Event::Scalar(text, style, anchor, tag) => (
                anchor,
                Node {
                    line,
                    yaml: Yaml::Scalar { text, style, tag },
                },
            ),
            Event::SequenceStart(anchor, tag) => {
                if tag.is_some() {
                    return Err(self.unsupported(line, "a tag on a sequence"));
                }
                let mut items = Vec::new();
                while let Some(item) = self.node()? {
                    items.push(item);
                }
                (
                    anchor,
                    Node {
                        line,
                        yaml: Yaml::Seq(items),
                    },
                )
            }
            Event::MappingStart(anchor, tag) => {
                if tag.is_some() {
                    return Err(self.unsupported(line, "a tag on a mapping"));
                }
                let mut entries = Vec::new();
                while let Some(key) = self.node()? {
                    let Some(value) = self.node()? else {
                        return Err(
                            self.unsupported(line, "a key without value")
                        );
                    };
                    entries.push((key, value));
                }
                (
                    anchor,
                    Node {
                        line,
                        yaml: Yaml::Map(entries),
                    },
                )
            }
            _ => return Ok(None),
        };
        if anchor > 0 {
            self.anchors.insert(anchor, node.clone());
        }
        Ok(Some(node))
    }
}

/// Checks the renderer and parses the single YAML document of a file.
/// An empty document is `None`.
fn load(file: &Path, text: &str) -> Result<Option<Node>, ReadError> {
    check_renderer(file, text)?;
    let mut events = Events::default();
    let mut parser = Parser::new_from_str(text);
    parser
        .load(&mut events, true)
        .map_err(|error| ReadError::Yaml {
            location: at(file, Some(error.marker().line())),
            problem: error.info().to_owned(),
        })?;
    let starts: Vec<usize> = events
        .events
        .iter()
        .filter(|(event, _)| *event == Event::DocumentStart)
        .map(|(_, mark)| mark.line())
        .collect();
    if let Some(second) = starts.get(1) {
        return Err(ReadError::UnsupportedYaml {
            location: at(file, Some(*second)),
            feature: "a second yaml document".to_owned(),
        });
    }
    let mut builder = Builder {
        file,
        events: events.events,
        position: 0,
        anchors: BTreeMap::new(),
    };
    // Skip StreamStart and DocumentStart.
    while builder.position < builder.events.len() {
        if builder.events[builder.position].0 == Event::DocumentStart {
            builder.position += 1;
            return builder.node();
        }
        builder.position += 1;
    }
    Ok(None)
}

fn check_renderer(file: &Path, text: &str) -> Result<(), ReadError> {
    let first_line = text.lines().next().unwrap_or("");
    if let Some(renderer) = first_line.strip_prefix("#!") {
        let compact: String =
            renderer.chars().filter(|c| !c.is_whitespace()).collect();
        match compact.as_str() {
            "yaml" => return Ok(()),
            "jinja|yaml" => {}
            _ => {
                return Err(ReadError::Renderer {
                    location: at(file, Some(1)),
                    renderer: renderer.trim().to_owned(),
                });
            }
        }
    }
    for (index, line) in text.lines().enumerate() {
        if let Some(delimiter) =
            ["{{", "{%", "{#"].into_iter().find(|d| line.contains(d))
        {
            return Err(ReadError::Jinja {
                location: at(file, Some(index + 1)),
                delimiter: delimiter.to_owned(),
            });
        }
    }
    Ok(())
}

fn describe(node: &Node) -> String {
    match &node.yaml {
        Yaml::Scalar { text, .. } => format!("the scalar `{text}`"),
        Yaml::Seq(_) => "a list".to_owned(),
        Yaml::Map(_) => "a mapping".to_owned(),
    }
}

fn shape(file: &Path, node: &Node, expected: &str) -> ReadError {
    ReadError::Shape {
        location: at(file, Some(node.line)),
        found: describe(node),
        expected: expected.to_owned(),
    }
}

/// Converts a node into a value, resolving plain scalars as YAML 1.1 with
/// Salt's changes.
fn value(file: &Path, node: &Node) -> Result<SaltValue, ReadError> {
    match &node.yaml {
        Yaml::Scalar { text, style, tag } => {
            scalar(file, node.line, text, *style, tag.as_ref())
        }
        Yaml::Seq(items) => Ok(SaltValue::List(
            items
                .iter()
                .map(|item| value(file, item))
                .collect::<Result<_, _>>()?,
        )),
        Yaml::Map(entries) => {
            let mut map = BTreeMap::new();
            for (key, item) in entries {
                let key = key_text(file, key)?;
                if map.contains_key(&key) {
                    return Err(ReadError::DuplicateKey {
                        location: at(file, Some(node.line)),
                        key,
                    });
                }
                map.insert(key, value(file, item)?);
            }
            Ok(SaltValue::Map(map))
        }
    }
}

/// A mapping key, which must be a string.
fn key_text(file: &Path, key: &Node) -> Result<String, ReadError> {
    match value(file, key)? {
        SaltValue::String(text) => Ok(text),
        _ if matches!(key.yaml, Yaml::Scalar { .. }) => Err(ReadError::Shape {
            location: at(file, Some(key.line)),
            found: format!(
                "{}, which yaml reads as a non-string key",
                describe(key)
            ),
            expected: "a string key (quote it)".to_owned(),
        }),
        _ => Err(shape(file, key, "a string key")),
    }
}

fn scalar(
    file: &Path,
    line: usize,
    text: &str,
    style: TScalarStyle,
    tag: Option<&Tag>,
) -> Result<SaltValue, ReadError> {
    if let Some(tag) = tag {
        let is_str = tag.suffix == "str"
            && (tag.handle == "!!" || tag.handle == "tag:yaml.org,2002:");
        if is_str {
            return Ok(SaltValue::String(text.to_owned()));
        }
        return Err(ReadError::UnsupportedYaml {
            location: at(file, Some(line)),
            feature: format!("the tag `{}`", tag_text(tag)),
        });
    }
    if style != TScalarStyle::Plain {
        return Ok(SaltValue::String(text.to_owned()));
    }
    resolve_plain(text).map_err(|feature| ReadError::UnsupportedYaml {
        location: at(file, Some(line)),
        feature,
    })
}

/// A tag as written, with the standard prefix shown as `!!`.
fn tag_text(tag: &Tag) -> String {
    let handle = match tag.handle.as_str() {
        "tag:yaml.org,2002:" => "!!",
        other => other,
    };
    format!("{handle}{}", tag.suffix)
}

/// Resolves a plain scalar as Salt's loader does (PyYAML's YAML 1.1 rules,
/// with leading zeros of unsigned integers stripped and timestamps kept as
/// strings).
fn resolve_plain(text: &str) -> Result<SaltValue, String> {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Ok(SaltValue::Null),
        "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On"
        | "ON" => return Ok(SaltValue::Bool(true)),
        "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off"
        | "OFF" => return Ok(SaltValue::Bool(false)),
        "<<" => return Err("the merge key `<<`".to_owned()),
        "=" => return Err("the value key `=`".to_owned()),
        _ => {}
    }
    if is_yaml_float(text) {
        return yaml_float(text)
            .map(SaltValue::Float)
            .ok_or_else(|| format!("the float `{text}`"));
    }
    if is_yaml_int(text) {
        return yaml_int(text).map(SaltValue::Int).ok_or_else(|| {
            format!("the integer `{text}` (beyond 64 bits or empty)")
        });
    }
    Ok(SaltValue::String(text.to_owned()))
}

fn strip_sign(text: &str) -> (bool, &str) {
    match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    }
}

fn all_of(text: &str, allowed: impl Fn(char) -> bool) -> bool {
    !text.is_empty() && text.chars().all(allowed)
}

fn digit_or_underscore(c: char) -> bool {
    c.is_ascii_digit() || c == '_'
}

/// `(:[0-5]?[0-9])+` after the leading part.
fn sexagesimal_tail(parts: &[&str]) -> bool {
    !parts.is_empty()
        && parts.iter().all(|part| {
            let bytes = part.as_bytes();
            match bytes {
                [d] => d.is_ascii_digit(),
                [a, b] => (b'0'..=b'5').contains(a) && b.is_ascii_digit(),
                _ => false,
            }
        })
}

fn is_yaml_int(text: &str) -> bool {
    let (_, body) = strip_sign(text);
    if let Some(bits) = body.strip_prefix("0b") {
        return all_of(bits, |c| matches!(c, '0' | '1' | '_'));
    }
    if let Some(hex) = body.strip_prefix("0x") {
        return all_of(hex, |c| c.is_ascii_hexdigit() || c == '_');
    }
    if body == "0" {
        return true;
    }
    if let Some(octal) = body.strip_prefix('0') {
        return all_of(octal, |c| matches!(c, '0'..='7' | '_'));
    }
    let mut parts = body.split(':');
    let head = parts.next().unwrap_or("");
    let tail: Vec<&str> = parts.collect();
    let head_ok = head.starts_with(|c: char| matches!(c, '1'..='9'))
        && all_of(head, digit_or_underscore);
    head_ok && (tail.is_empty() || sexagesimal_tail(&tail))
}

fn yaml_int(text: &str) -> Option<i64> {
    // Salt strips the leading zeros of an unsigned integer first, so
    // `0644` is 644, while PyYAML alone would read it as octal.
    let stripped = if text != "0"
        && text.starts_with('0')
        && !text.starts_with("0b")
        && !text.starts_with("0x")
    {
        let rest = text.trim_start_matches('0');
        if rest.is_empty() { "0" } else { rest }
    } else {
        text
    };
    let cleaned = stripped.replace('_', "");
    let (negative, body) = strip_sign(&cleaned);
    let magnitude: i128 = if body == "0" {
        0
    } else if let Some(bits) = body.strip_prefix("0b") {
        i128::from_str_radix(bits, 2).ok()?
    } else if let Some(hex) = body.strip_prefix("0x") {
        i128::from_str_radix(hex, 16).ok()?
    } else if body.starts_with('0') {
        i128::from_str_radix(body, 8).ok()?
    } else if body.contains(':') {
        let mut total: i128 = 0;
        for part in body.split(':') {
            total = total.checked_mul(60)? + part.parse::<i128>().ok()?;
        }
        total
    } else {
        body.parse::<i128>().ok()?
    };
    let signed = if negative { -magnitude } else { magnitude };
    i64::try_from(signed).ok()
}

fn exponent_ok(exponent: &str) -> bool {
    let mut chars = exponent.chars();
    matches!(chars.next(), Some('e' | 'E'))
        && matches!(chars.next(), Some('-' | '+'))
        && all_of(chars.as_str(), |c| c.is_ascii_digit())
}

/// `[0-9_]*` fraction, then an optional exponent.
fn fraction_ok(rest: &str) -> bool {
    let end = rest.find(['e', 'E']).unwrap_or(rest.len());
    let (fraction, exponent) = rest.split_at(end);
    fraction.chars().all(digit_or_underscore)
        && (exponent.is_empty() || exponent_ok(exponent))
}

fn is_yaml_float(text: &str) -> bool {
    if matches!(text, ".nan" | ".NaN" | ".NAN") {
        return true;
    }
    if let Some(fraction) = text.strip_prefix('.') {
        return fraction.starts_with(|c: char| c.is_ascii_digit())
            && fraction_ok(fraction);
    }
    let (_, body) = strip_sign(text);
    if matches!(body, ".inf" | ".Inf" | ".INF") {
        return true;
    }
    let Some((whole, rest)) = body.split_once('.') else {
        return false;
    };
    let mut parts = whole.split(':');
    let head = parts.next().unwrap_or("");
    let tail: Vec<&str> = parts.collect();
    let head_ok = head.starts_with(|c: char| c.is_ascii_digit())
        && all_of(head, digit_or_underscore);
    if tail.is_empty() {
        head_ok && fraction_ok(rest)
    } else {
        head_ok
            && sexagesimal_tail(&tail)
            && rest.chars().all(digit_or_underscore)
    }
}

fn yaml_float(text: &str) -> Option<f64> {
    let cleaned = text.replace('_', "").to_lowercase();
    let (negative, body) = strip_sign(&cleaned);
    let magnitude = match body {
        ".inf" => f64::INFINITY,
        ".nan" => f64::NAN,
        _ if body.contains(':') => {
            let mut total = 0.0;
            for part in body.split(':') {
                total = total * 60.0 + python_float(part)?;
            }
            total
        }
        _ => python_float(body)?,
    };
    Some(if negative { -magnitude } else { magnitude })
}

/// Parses like Python's `float()` for the forms YAML 1.1 allows, such as
/// `1.`, `.5` and `1.e+3`.
fn python_float(text: &str) -> Option<f64> {
    let padded = text.replace(".e", ".0e");
    let padded = if padded.ends_with('.') {
        format!("{padded}0")
    } else {
        padded
    };
    let padded = if padded.starts_with('.') {
        format!("0{padded}")
    } else {
        padded
    };
    padded.parse().ok()
}

// ---------------------------------------------------------------------------
// SLS files.

/// A state as read, with where it was and its unresolved requisites.
struct Declared {
    state: State,
    /// The line of the id.
    id_line: usize,
    requisites: Vec<Written>,
}

/// A requisite target as written.
struct Written {
    kind: Requisite,
    module: String,
    target: String,
    line: usize,
}

impl Written {
    fn shown(&self) -> String {
        if self.module.is_empty() {
            self.target.clone()
        } else {
            format!("{}: {}", self.module, self.target)
        }
    }
}

struct SlsFile {
    path: PathBuf,
    sls: String,
    includes: Vec<(String, usize)>,
    states: Vec<Declared>,
}

fn has_glob(text: &str) -> bool {
    text.contains(['*', '?', '['])
}

fn parse_sls(
    path: &Path,
    sls: &str,
    init: bool,
    text: &str,
) -> Result<SlsFile, ReadError> {
    let mut file = SlsFile {
        path: path.to_owned(),
        sls: sls.to_owned(),
        includes: Vec::new(),
        states: Vec::new(),
    };
    let Some(root) = load(path, text)? else {
        return Ok(file);
    };
    let entries = match &root.yaml {
        Yaml::Map(entries) => entries,
        Yaml::Scalar { text, style, .. }
            if text.is_empty() && *style == TScalarStyle::Plain =>
        {
            return Ok(file);
        }
        _ => {
            return Err(shape(path, &root, "a mapping of state ids"));
        }
    };
    let mut seen = std::collections::BTreeSet::new();
    for (key, body) in entries {
        let id = key_text(path, key)?;
        if !seen.insert(id.clone()) {
            return Err(ReadError::DuplicateKey {
                location: at(path, Some(key.line)),
                key: id,
            });
        }
        match id.as_str() {
            "include" => {
                file.includes = parse_includes(path, sls, init, body)?;
            }
            "extend" => {
                return Err(ReadError::Extend {
                    location: at(path, Some(key.line)),
                });
            }
            "exclude" => {
                return Err(ReadError::Exclude {
                    location: at(path, Some(key.line)),
                });
            }
            _ => file.states.extend(parse_id(path, &id, key.line, body)?),
        }
    }
    Ok(file)
}

fn parse_includes(
    path: &Path,
    sls: &str,
    init: bool,
    body: &Node,
) -> Result<Vec<(String, usize)>, ReadError> {
    let Yaml::Seq(items) = &body.yaml else {
        return Err(shape(path, body, "a list of sls names after `include`"));
    };
    let mut includes = Vec::new();
    for item in items {
        let SaltValue::String(include) = value(path, item)? else {
            return Err(shape(path, item, "an sls name"));
        };
        if has_glob(&include) {
            return Err(ReadError::Glob {
                location: at(path, Some(item.line)),
                pattern: include,
            });
        }
        let resolved =
            resolve_include(sls, init, &include).ok_or_else(|| {
                ReadError::RelativeInclude {
                    location: at(path, Some(item.line)),
                    include: include.clone(),
                }
            })?;
        if !crate::tree::valid_sls_name(&resolved) {
            return Err(shape(path, item, "an sls name"));
        }
        includes.push((resolved, item.line));
    }
    Ok(includes)
}

/// Resolves `.sibling` and `..parent` includes as Salt does: the levels
/// are taken from the SLS name, with `init` added for an `init.sls`.
fn resolve_include(sls: &str, init: bool, include: &str) -> Option<String> {
    let rest = include.trim_start_matches('.');
    let levels = include.len() - rest.len();
    if levels == 0 {
        return Some(include.to_owned());
    }
    let mut parts: Vec<&str> = sls.split('.').collect();
    if init {
        parts.push("init");
    }
    if levels > parts.len() || rest.is_empty() {
        return None;
    }
    parts.truncate(parts.len() - levels);
    parts.push(rest);
    Some(parts.join("."))
}

fn parse_id(
    path: &Path,
    id: &str,
    line: usize,
    body: &Node,
) -> Result<Vec<Declared>, ReadError> {
    let mut undotted = Vec::new();
    let mut dotted = Vec::new();
    match &body.yaml {
        // `vim: pkg.installed`, Salt's short form.
        Yaml::Scalar { text, style, .. }
            if *style == TScalarStyle::Plain && text.contains('.') =>
        {
            let state = State::new(id, text.clone());
            dotted.push(checked(path, line, state, Vec::new())?);
        }
        Yaml::Map(declarations) => {
            let mut modules = std::collections::BTreeSet::new();
            for (key, items) in declarations {
                let declaration = key_text(path, key)?;
                let (state, requisites) =
                    parse_declaration(path, id, &declaration, key, items)?;
                if !modules.insert(state.module().to_owned()) {
                    return Err(ReadError::Shape {
                        location: at(path, Some(key.line)),
                        found: format!(
                            "a second `{}` declaration under `{id}`",
                            state.module()
                        ),
                        expected: "one declaration per module".to_owned(),
                    });
                }
                let declared = checked(path, key.line, state, requisites)?;
                // Salt moves `module.function` declarations after the
                // `module: [function]` ones when it compiles an id, so
                // keeping that order keeps Salt's automatic `order`.
                if declaration.contains('.') {
                    dotted.push(declared);
                } else {
                    undotted.push(declared);
                }
            }
        }
        _ => {
            return Err(shape(
                path,
                body,
                "a mapping of state functions (`module.function: [...]`)",
            ));
        }
    }
    undotted.extend(dotted);
    for declared in &mut undotted {
        declared.id_line = line;
    }
    Ok(undotted)
}

fn checked(
    path: &Path,
    line: usize,
    state: State,
    requisites: Vec<Written>,
) -> Result<Declared, ReadError> {
    state.validate().map_err(|source| ReadError::InvalidState {
        location: at(path, Some(line)),
        id: state.id().to_owned(),
        source: Box::new(source),
    })?;
    Ok(Declared {
        state,
        id_line: line,
        requisites,
    })
}

fn parse_declaration(
    path: &Path,
    id: &str,
    declaration: &str,
    key: &Node,
    body: &Node,
) -> Result<(State, Vec<Written>), ReadError> {
    let Yaml::Seq(items) = &body.yaml else {
        return Err(ReadError::Shape {
            location: at(path, Some(body.line)),
            found: format!("{} under `{declaration}`", describe(body)),
            expected: "a list of arguments (write `[]` for none)".to_owned(),
        });
    };
    let mut function =
        declaration.contains('.').then(|| declaration.to_owned());
    let mut args: Vec<(String, SaltValue, usize)> = Vec::new();
    let mut requisites = Vec::new();
    let mut seen_requisites = std::collections::BTreeSet::new();
    for item in items {
        match &item.yaml {
            Yaml::Scalar { .. } => {
                let SaltValue::String(name) = value(path, item)? else {
                    return Err(shape(path, item, "a function name"));
                };
                if function.is_some() {
                    return Err(ReadError::Shape {
                        location: at(path, Some(item.line)),
                        found: format!("a second function `{name}`"),
                        expected: "one function per state".to_owned(),
                    });
                }
                function = Some(format!("{declaration}.{name}"));
            }
            Yaml::Map(entries) if entries.len() == 1 => {
                let (name_node, arg_value) = &entries[0];
                let name = key_text(path, name_node)?;
                if let Some(kind) = Requisite::from_keyword(&name) {
                    if !seen_requisites.insert(kind) {
                        return Err(ReadError::DuplicateKey {
                            location: at(path, Some(item.line)),
                            key: name,
                        });
                    }
                    requisites.extend(parse_targets(path, kind, arg_value)?);
                } else {
                    if args.iter().any(|(existing, _, _)| *existing == name) {
                        return Err(ReadError::DuplicateKey {
                            location: at(path, Some(item.line)),
                            key: name,
                        });
                    }
                    args.push((name, value(path, arg_value)?, item.line));
                }
            }
            _ => {
                return Err(shape(
                    path,
                    item,
                    "a function name or a single `argument: value`",
                ));
            }
        }
    }
    let Some(function) = function else {
        return Err(ReadError::Shape {
            location: at(path, Some(key.line)),
            found: format!("no function under `{declaration}`"),
            expected: "a function such as `- installed`".to_owned(),
        });
    };
    let mut state = State::new(id, function);
    for (name, arg_value, _) in args {
        state = state.arg(name, arg_value);
    }
    Ok((state, requisites))
}

fn parse_targets(
    path: &Path,
    kind: Requisite,
    body: &Node,
) -> Result<Vec<Written>, ReadError> {
    let Yaml::Seq(items) = &body.yaml else {
        return Err(ReadError::Shape {
            location: at(path, Some(body.line)),
            found: format!("{} after `{kind}`", describe(body)),
            expected: "a list of targets".to_owned(),
        });
    };
    let mut targets = Vec::new();
    for item in items {
        let (module, target) = match &item.yaml {
            Yaml::Scalar { .. } => match value(path, item)? {
                SaltValue::String(target) => (String::new(), target),
                _ => return Err(shape(path, item, "a requisite target")),
            },
            Yaml::Map(entries) if entries.len() == 1 => {
                let module = key_text(path, &entries[0].0)?;
                let SaltValue::String(target) = value(path, &entries[0].1)?
                else {
                    return Err(shape(
                        path,
                        &entries[0].1,
                        "a state id or name as a string",
                    ));
                };
                if module.is_empty() || module.contains('.') {
                    return Err(ReadError::Shape {
                        location: at(path, Some(item.line)),
                        found: format!("requisite type `{module}`"),
                        expected: "a state module, `id` or `sls`".to_owned(),
                    });
                }
                (module, target)
            }
            _ => {
                return Err(shape(
                    path,
                    item,
                    "a requisite target like `pkg: nginx`, `sls: name` or a \
                     bare id",
                ));
            }
        };
        if has_glob(&target) {
            return Err(ReadError::Glob {
                location: at(path, Some(item.line)),
                pattern: target,
            });
        }
        targets.push(Written {
            kind,
            module,
            target,
            line: item.line,
        });
    }
    Ok(targets)
}

/// Builds the role of a file, resolving each requisite against the states
/// of `lookup`: every file of the tree when `whole_tree`, else the file
/// itself (and then `sls` requisites cannot be checked).
fn resolve_role(
    file: &SlsFile,
    lookup: &[&SlsFile],
    whole_tree: bool,
) -> Result<Role, ReadError> {
    let mut role = Role::at_sls(file.sls.clone());
    for (include, _) in &file.includes {
        role.include(include.clone());
    }
    for declared in &file.states {
        let mut state = declared.state.clone();
        for written in &declared.requisites {
            let mut target = StateRef {
                role: String::new(),
                id: written.target.clone(),
                module: written.module.clone(),
            };
            let owner = if written.module == "sls" {
                let exists = !whole_tree
                    || lookup.iter().any(|other| other.sls == written.target);
                exists.then(|| written.target.clone())
            } else {
                lookup
                    .iter()
                    .find(|other| {
                        other
                            .states
                            .iter()
                            .any(|candidate| target.matches(&candidate.state))
                    })
                    .map(|other| other.sls.clone())
            };
            let Some(owner) = owner else {
                let scope = match (written.module.as_str(), whole_tree) {
                    ("sls", _) => "sls of the tree",
                    (_, true) => "state of the tree",
                    (_, false) => "state of this file",
                }
                .to_owned();
                return Err(ReadError::UnknownRequisiteTarget {
                    location: at(&file.path, Some(written.line)),
                    kind: written.kind,
                    target: written.shown(),
                    scope,
                });
            };
            target.role = owner;
            state = state.requisite(written.kind, &target);
        }
        let origin = Origin {
            file: file.path.display().to_string(),
            line: u32::try_from(declared.id_line).unwrap_or(0),
        };
        role.add_from(state, origin);
    }
    Ok(role)
}

// ---------------------------------------------------------------------------
// Top files and pillar.

type TopEntries = Vec<(Matcher, String, Vec<(String, usize)>)>;

fn parse_top(file: &Path, text: &str) -> Result<TopEntries, ReadError> {
    let Some(root) = load(file, text)? else {
        return Ok(Vec::new());
    };
    let Yaml::Map(environments) = &root.yaml else {
        return Err(shape(file, &root, "a mapping with `base`"));
    };
    let mut entries = Vec::new();
    for (key, targets) in environments {
        let environment = key_text(file, key)?;
        if environment != "base" {
            return Err(ReadError::Environment {
                location: at(file, Some(key.line)),
                environment,
            });
        }
        let Yaml::Map(targets) = &targets.yaml else {
            return Err(shape(file, targets, "a mapping of targets"));
        };
        for (target_key, items) in targets {
            let expression = key_text(file, target_key)?;
            let Yaml::Seq(items) = &items.yaml else {
                return Err(shape(file, items, "a list of sls names"));
            };
            let mut matcher = None;
            let mut names = Vec::new();
            for item in items {
                match value(file, item)? {
                    SaltValue::String(name) => {
                        if has_glob(&name) {
                            return Err(ReadError::Glob {
                                location: at(file, Some(item.line)),
                                pattern: name,
                            });
                        }
                        names.push((name, item.line));
                    }
                    SaltValue::Map(option) if option.len() == 1 => {
                        let kind = option
                            .get("match")
                            .and_then(SaltValue::as_str)
                            .and_then(Matcher::from_keyword);
                        match kind {
                            Some(kind) if matcher.is_none() => {
                                matcher = Some(kind);
                            }
                            _ => {
                                return Err(shape(
                                    file,
                                    item,
                                    "one `match: glob|pcre|list|grain|\
                                     grain_pcre|pillar|pillar_pcre|\
                                     pillar_exact|compound|ipcidr|nodegroup`",
                                ));
                            }
                        }
                    }
                    _ => return Err(shape(file, item, "an sls name")),
                }
            }
            if names.is_empty() {
                return Err(ReadError::Shape {
                    location: at(file, Some(target_key.line)),
                    found: format!("target `{expression}` without sls"),
                    expected: "at least one sls name".to_owned(),
                });
            }
            entries.push((matcher.unwrap_or(Matcher::Glob), expression, names));
        }
    }
    Ok(entries)
}

fn parse_pillar(
    file: &Path,
    text: &str,
) -> Result<BTreeMap<String, SaltValue>, ReadError> {
    let Some(root) = load(file, text)? else {
        return Ok(BTreeMap::new());
    };
    if let Yaml::Map(entries) = &root.yaml
        && let Some((key, _)) = entries.iter().find(|(key, _)| {
            matches!(&key.yaml, Yaml::Scalar { text, .. } if text == "include")
        })
    {
        return Err(ReadError::UnsupportedYaml {
            location: at(file, Some(key.line)),
            feature: "`include` in pillar".to_owned(),
        });
    }
    match value(file, &root)? {
        SaltValue::Map(data) => Ok(data),
        SaltValue::Null => Ok(BTreeMap::new()),
        _ => Err(shape(file, &root, "a mapping of pillar keys")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_scalars_resolve_as_salt_does() {
        let cases: [(&str, SaltValue); 19] = [
            ("0644", SaltValue::Int(644)),
            ("-0644", SaltValue::Int(-420)),
            ("00", SaltValue::Int(0)),
            ("1_000", SaltValue::Int(1000)),
            ("0x1f", SaltValue::Int(31)),
            ("0b101", SaltValue::Int(5)),
            ("190:20:30", SaltValue::Int(685_230)),
            ("1.10", SaltValue::Float(1.1)),
            ("1.", SaltValue::Float(1.0)),
            (".5", SaltValue::Float(0.5)),
            ("1.0e+3", SaltValue::Float(1000.0)),
            ("-.inf", SaltValue::Float(f64::NEG_INFINITY)),
            ("yes", SaltValue::Bool(true)),
            ("Off", SaltValue::Bool(false)),
            ("~", SaltValue::Null),
            ("y", SaltValue::String("y".to_owned())),
            ("1e3", SaltValue::String("1e3".to_owned())),
            ("08", SaltValue::String("08".to_owned())),
            ("2024-01-02", SaltValue::String("2024-01-02".to_owned())),
        ];
        for (text, expected) in cases {
            assert_eq!(resolve_plain(text), Ok(expected), "{text}");
        }
        assert!(resolve_plain("99999999999999999999").is_err());
    }

    #[test]
    fn relative_includes_follow_init() {
        assert_eq!(
            resolve_include("nginx", true, ".config").as_deref(),
            Some("nginx.config")
        );
        assert_eq!(
            resolve_include("nginx.config", false, ".service").as_deref(),
            Some("nginx.service")
        );
        assert_eq!(
            resolve_include("a.b.c", false, "..d").as_deref(),
            Some("a.d")
        );
        assert_eq!(resolve_include("nginx", false, "..x"), None);
    }

    #[test]
    fn sls_names_come_from_paths() {
        let name = |path: &str| sls_name_of(Path::new(path), Path::new(path));
        assert_eq!(name("nginx/init.sls").unwrap(), "nginx");
        assert_eq!(name("a/b/c.sls").unwrap(), "a.b.c");
        assert!(name("a.b.sls").is_err());
        assert!(name("../x.sls").is_err());
    }

    #[test]
    fn both_state_forms_and_requisite_forms_are_read() {
        let role = read_sls(
            "web/init.sls",
            "nginx:\n  pkg:\n    - installed\n  service.running:\n    \
             - enable: yes\n    - watch:\n      - pkg: nginx\n      - conf\n\
             conf:\n  file.managed:\n    - name: /etc/nginx.conf\n    \
             - mode: '0644'\n    - require_in:\n      - sls: web\n",
        )
        .unwrap();
        assert_eq!(role.sls_name(), "web");
        let functions: Vec<_> =
            role.states().iter().map(State::function).collect();
        assert_eq!(
            functions,
            ["pkg.installed", "service.running", "file.managed"]
        );
        let watch = role.states()[1].requisites();
        assert_eq!(watch[0].1.module(), "pkg");
        assert_eq!(watch[1].1.module(), "");
        assert_eq!(watch[1].1.id(), "conf");
        assert_eq!(role.states()[2].args()[1].1.as_str(), Some("0644"));
    }

    #[test]
    fn errors_name_file_and_line() {
        let error =
            read_sls("a.sls", "x:\n  test.nop: []\nextend: {}\n").unwrap_err();
        assert_eq!(
            error.to_string(),
            "a.sls:3: `extend` is not supported; change the extended states \
             themselves"
        );
        let error =
            read_sls("a.sls", "x:\n  pkg.installed:\n    - a: 1\n    - a: 2\n")
                .unwrap_err();
        assert_eq!(
            error.to_string(),
            "a.sls:4: key `a` appears twice in one mapping"
        );
        let error = read_sls("a.sls", "x: [\n").unwrap_err();
        assert!(matches!(error, ReadError::Yaml { .. }), "{error}");
        assert_eq!(error.location().unwrap().file, Path::new("a.sls"));
    }
}
