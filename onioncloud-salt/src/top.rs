//! Top file targets beyond single minion ids, roles reached only through
//! includes or targets, pillar SLS files and other files of a Salt tree:
//! what a formula brought in with [`crate::read`] needs beyond
//! [`SaltTree::assign`] and [`SaltTree::set_pillar`].

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::tree::{Role, SaltTree, TreeError, valid_sls_name};
use crate::value::SaltValue;
use crate::yaml::{self, Node};

/// How a top file target selects minions: the `- match:` of a top file
/// entry.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
)]
pub enum Matcher {
    /// A shell glob on the minion id (Salt's default, written without
    /// `match`).
    Glob,
    /// A regular expression on the minion id.
    Pcre,
    /// A comma-separated list of minion ids.
    List,
    /// A grain glob, like `os:Debian`.
    Grain,
    /// A grain regular expression.
    GrainPcre,
    /// A pillar glob, like `role:web`.
    Pillar,
    /// A pillar regular expression.
    PillarPcre,
    /// An exact pillar value.
    PillarExact,
    /// A compound expression, like `G@os:Debian and web*`.
    Compound,
    /// A network in CIDR notation.
    Ipcidr,
    /// A node group from the master configuration.
    Nodegroup,
}

impl Matcher {
    const ALL: [Matcher; 11] = [
        Matcher::Glob,
        Matcher::Pcre,
        Matcher::List,
        Matcher::Grain,
        Matcher::GrainPcre,
        Matcher::Pillar,
        Matcher::PillarPcre,
        Matcher::PillarExact,
        Matcher::Compound,
        Matcher::Ipcidr,
        Matcher::Nodegroup,
    ];

    /// The word written after `match:`, like `grain`.
    pub fn keyword(self) -> &'static str {
        match self {
            Matcher::Glob => "glob",
            Matcher::Pcre => "pcre",
            Matcher::List => "list",
            Matcher::Grain => "grain",
            Matcher::GrainPcre => "grain_pcre",
            Matcher::Pillar => "pillar",
            Matcher::PillarPcre => "pillar_pcre",
            Matcher::PillarExact => "pillar_exact",
            Matcher::Compound => "compound",
            Matcher::Ipcidr => "ipcidr",
            Matcher::Nodegroup => "nodegroup",
        }
    }

    /// The matcher Salt spells `keyword`.
    pub fn from_keyword(keyword: &str) -> Option<Matcher> {
        Matcher::ALL
            .into_iter()
            .find(|matcher| matcher.keyword() == keyword)
    }
}

impl std::fmt::Display for Matcher {
    /// Writes the keyword, like `grain`.
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(self.keyword())
    }
}

/// One top file entry: a target and what it receives, in order.
#[derive(Debug, Clone, PartialEq)]
struct Entry<T> {
    matcher: Matcher,
    expression: String,
    items: Vec<T>,
}

/// The parts of a [`SaltTree`] beyond minions addressed by id.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Formula {
    /// Roles written whether or not a minion or target receives them.
    roles: Vec<Role>,
    /// State top file entries; roles are kept in `roles`, entries name
    /// them by SLS name.
    state_targets: Vec<Entry<String>>,
    /// Pillar SLS files by SLS name.
    pillar_sls: BTreeMap<String, BTreeMap<String, SaltValue>>,
    /// Pillar top file entries, naming pillar SLS.
    pillar_targets: Vec<Entry<String>>,
    /// Other files under `salt/`, by path relative to it.
    files: BTreeMap<PathBuf, String>,
}

fn push_target(
    entries: &mut Vec<Entry<String>>,
    matcher: Matcher,
    expression: String,
    item: String,
) {
    let position = entries.iter().position(|entry| {
        entry.matcher == matcher && entry.expression == expression
    });
    let entry = match position {
        Some(index) => &mut entries[index],
        None => {
            entries.push(Entry {
                matcher,
                expression,
                items: Vec::new(),
            });
            let last = entries.len() - 1;
            &mut entries[last]
        }
    };
    if !entry.items.contains(&item) {
        entry.items.push(item);
    }
}

fn top_entries(
    entries: &[Entry<String>],
) -> impl Iterator<Item = (String, Node)> + '_ {
    entries.iter().map(|entry| {
        let mut items = Vec::new();
        if entry.matcher != Matcher::Glob {
            items.push(Node::Map(vec![(
                "match".to_owned(),
                Node::text(entry.matcher.keyword()),
            )]));
        }
        items.extend(entry.items.iter().cloned().map(Node::text));
        (entry.expression.clone(), Node::Seq(items))
    })
}

impl Formula {
    pub(crate) fn roles(&self) -> impl Iterator<Item = &Role> {
        self.roles.iter()
    }

    /// The state top file entries of the targets.
    pub(crate) fn state_top(
        &self,
        by_sls: &BTreeMap<String, &Role>,
    ) -> Result<Vec<(String, Node)>, TreeError> {
        for entry in &self.state_targets {
            for sls in &entry.items {
                if !by_sls.contains_key(sls) {
                    return Err(TreeError::UnknownSls {
                        by: format!("top file target `{}`", entry.expression),
                        sls: sls.clone(),
                    });
                }
            }
        }
        Ok(top_entries(&self.state_targets).collect())
    }

    /// The pillar top file entries of the targets.
    pub(crate) fn pillar_top(&self) -> Result<Vec<(String, Node)>, TreeError> {
        for entry in &self.pillar_targets {
            for sls in &entry.items {
                if !self.pillar_sls.contains_key(sls) {
                    return Err(TreeError::UnknownSls {
                        by: format!(
                            "pillar top file target `{}`",
                            entry.expression
                        ),
                        sls: sls.clone(),
                    });
                }
            }
        }
        Ok(top_entries(&self.pillar_targets).collect())
    }

    /// The pillar SLS files and other files, by path from the tree root.
    pub(crate) fn files(&self) -> Result<Vec<(PathBuf, String)>, TreeError> {
        let mut files = Vec::new();
        for (sls, data) in &self.pillar_sls {
            if !valid_sls_name(sls) {
                return Err(TreeError::BadSlsName { name: sls.clone() });
            }
            let path = format!("pillar/{}.sls", sls.replace('.', "/"));
            let text =
                yaml::document(&Node::Value(SaltValue::Map(data.clone())));
            files.push((PathBuf::from(path), text));
        }
        for (path, text) in &self.files {
            files.push((PathBuf::from("salt").join(path), text.clone()));
        }
        Ok(files)
    }
}

impl SaltTree {
    /// Adds `role` to the top file entry for `expression` (matched with
    /// `matcher`), creating the entry after the existing ones. Entries are
    /// written after the minions given roles with [`SaltTree::assign`];
    /// one expression can appear only once in the top file.
    ///
    /// Which minions such a target selects is only known to Salt, so
    /// rendering checks the requisites of these roles against every state
    /// of the tree rather than per minion.
    ///
    /// ```
    /// use onioncloud_salt::{Matcher, PkgInstalled, Role, SaltTree};
    ///
    /// let mut web = Role::at_sls("web");
    /// web.add(PkgInstalled::new("nginx"));
    /// let mut tree = SaltTree::new();
    /// tree.target(Matcher::Grain, "roles:web", &web);
    /// let files = tree.render()?;
    /// assert_eq!(
    ///     files[std::path::Path::new("salt/top.sls")],
    ///     "#!yaml\nbase:\n  'roles:web':\n    - match: grain\n    - web\n"
    /// );
    /// # Ok::<(), onioncloud_salt::TreeError>(())
    /// ```
    pub fn target(
        &mut self,
        matcher: Matcher,
        expression: impl Into<String>,
        role: &Role,
    ) {
        self.add_role(role);
        push_target(
            &mut self.formula.state_targets,
            matcher,
            expression.into(),
            role.sls_name(),
        );
    }

    /// Writes `role` even if no minion or target receives it directly, so
    /// that other roles can include it. Adding it again has no effect.
    pub fn add_role(&mut self, role: &Role) {
        if !self.formula.roles.contains(role) {
            self.formula.roles.push(role.clone());
        }
    }

    /// The roles added with [`SaltTree::add_role`] or
    /// [`SaltTree::target`], in order.
    pub fn roles(&self) -> &[Role] {
        &self.formula.roles
    }

    /// The top file entries added with [`SaltTree::target`]: matcher,
    /// expression and SLS names, in order.
    pub fn targets(&self) -> Vec<(Matcher, &str, &[String])> {
        self.formula
            .state_targets
            .iter()
            .map(|entry| {
                (entry.matcher, entry.expression.as_str(), &entry.items[..])
            })
            .collect()
    }

    /// Sets the data of a pillar SLS file, written to
    /// `pillar/<sls with dots as slashes>.sls`, replacing earlier data.
    pub fn set_pillar_sls(
        &mut self,
        sls_name: impl Into<String>,
        data: BTreeMap<String, SaltValue>,
    ) {
        self.formula.pillar_sls.insert(sls_name.into(), data);
    }

    /// The pillar SLS files set with [`SaltTree::set_pillar_sls`].
    pub fn pillar_sls(&self) -> &BTreeMap<String, BTreeMap<String, SaltValue>> {
        &self.formula.pillar_sls
    }

    /// Adds the pillar SLS `sls_name` to the pillar top file entry for
    /// `expression`, like [`SaltTree::target`] does for states.
    pub fn target_pillar(
        &mut self,
        matcher: Matcher,
        expression: impl Into<String>,
        sls_name: impl Into<String>,
    ) {
        push_target(
            &mut self.formula.pillar_targets,
            matcher,
            expression.into(),
            sls_name.into(),
        );
    }

    /// The pillar top file entries added with
    /// [`SaltTree::target_pillar`], in order.
    pub fn pillar_targets(&self) -> Vec<(Matcher, &str, &[String])> {
        self.formula
            .pillar_targets
            .iter()
            .map(|entry| {
                (entry.matcher, entry.expression.as_str(), &entry.items[..])
            })
            .collect()
    }

    /// Adds a file written verbatim under `salt/`, like a template that a
    /// `file.managed` state names as `salt://nginx/files/nginx.conf`
    /// (`path` is then `nginx/files/nginx.conf`). Replaces an earlier file
    /// at that path; a clash with an SLS file is reported when the tree is
    /// rendered.
    pub fn add_file(
        &mut self,
        path: impl Into<PathBuf>,
        contents: impl Into<String>,
    ) {
        self.formula.files.insert(path.into(), contents.into());
    }

    /// The files added with [`SaltTree::add_file`].
    pub fn files(&self) -> &BTreeMap<PathBuf, String> {
        &self.formula.files
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{CmdRun, PkgInstalled};

    #[test]
    fn typed_roles_include_formula_roles_by_their_sls_name() {
        let mut formula = Role::at_sls("base.tools");
        let curl = formula.add(PkgInstalled::new("curl"));
        let mut app = Role::new("app");
        app.add(CmdRun::new("curl -V").id("probe").require(&curl));
        let mut tree = SaltTree::new();
        tree.target(Matcher::Glob, "*", &formula);
        tree.assign("m1", &formula);
        tree.assign("m1", &app);
        let files = tree.render().unwrap();
        assert!(
            files[&PathBuf::from("salt/roles/app.sls")]
                .starts_with("#!yaml\ninclude:\n  - base.tools\n")
        );
        assert!(files.contains_key(&PathBuf::from("salt/base/tools.sls")));
        assert_eq!(
            files[&PathBuf::from("salt/top.sls")],
            "#!yaml\nbase:\n  m1:\n    - base.tools\n    - roles.app\n  '*':\n    - \
             base.tools\n"
        );
    }

    #[test]
    fn two_roles_at_one_file_clash() {
        let mut tree = SaltTree::new();
        tree.add_role(&Role::at_sls("roles.web"));
        tree.assign("m1", &Role::new("web"));
        assert_eq!(
            tree.render().unwrap_err().to_string(),
            "two different files would be written at `salt/roles/web.sls`"
        );
    }

    #[test]
    fn includes_and_targets_must_name_roles_of_the_tree() {
        let mut role = Role::at_sls("a");
        role.include("missing");
        let mut tree = SaltTree::new();
        tree.add_role(&role);
        assert_eq!(
            tree.render().unwrap_err().to_string(),
            "role `a` include names sls `missing`, which the tree does not \
             have"
        );
        let mut tree = SaltTree::new();
        tree.target_pillar(Matcher::Grain, "os:Debian", "absent");
        assert!(matches!(tree.render(), Err(TreeError::UnknownSls { .. })));
    }
}
