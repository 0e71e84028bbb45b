#!/usr/bin/env node
// Validates Kubernetes manifests offline (no cluster, no network) against the
// API schemas that the pinned kubernetes-models package compiles (Kubernetes
// 1.32's OpenAPI: it has the native sidecar's initContainer restartPolicy,
// from 1.28/1.29, and pod-level resources), stable API versions only. Usage: validate.js FILE... ("-" reads stdin); each file
// is one or more YAML documents, as `kubectl kustomize` prints them.
//
// A document fails on: YAML errors (duplicate keys included), an apiVersion or
// kind the schemas do not know or a beta/alpha one, a missing required field, a wrong type, a
// value outside an enum or format, and a field the schema does not have. The
// schemas' compiled validators do not reject unknown fields (the OpenAPI
// schemas set no additionalProperties), so the validator runs on a proxy of
// the document that records which fields it reads at each object: a field it
// never read is not in the schema. A map (labels, data) is read key by key, so
// its keys count as read.
//
// The tools live in EXECGW_K8S_TOOLS (default: <repo>/.tools/k8s, installed
// by scripts/setup.sh from tests/k8s/package-lock.json). Exits 0 when every
// document is valid, 1 otherwise, 2 on a usage or installation problem.
'use strict';
const fs = require('fs');
const path = require('path');
const {createRequire} = require('module');

const repo = path.resolve(__dirname, '..', '..');
const tools = process.env.EXECGW_K8S_TOOLS || path.join(repo, '.tools', 'k8s');
const toolsRequire = createRequire(path.join(tools, 'package.json'));
let YAML;
try {
  YAML = toolsRequire('yaml');
  toolsRequire('kubernetes-models/package.json');
} catch (e) {
  console.error(`validate: the tools are not installed in ${tools} ` +
                '(run scripts/setup.sh)');
  process.exit(2);
}

// The model class for apiVersion + kind, or null when the schemas have none.
function modelClass(apiVersion, kind) {
  if (typeof apiVersion !== 'string' || typeof kind !== 'string' ||
      !/^[a-z0-9.\-]*\/?v[0-9a-z]+$/.test(apiVersion) ||
      !/^[A-Z][A-Za-z0-9]*$/.test(kind)) {
    return null;
  }
  try {
    const group = toolsRequire(`kubernetes-models/${apiVersion}`);
    return Object.prototype.hasOwnProperty.call(group, kind) ? group[kind] : null;
  } catch (e) {
    return null;
  }
}

// Wraps value so that every field read of every object inside it is recorded
// in reads (object -> Set of keys).
function recording(value, reads) {
  if (value === null || typeof value !== 'object') return value;
  const seen = new Set();
  reads.set(value, seen);
  const wrapped = Array.isArray(value) ? value.map((v) => recording(v, reads))
                                       : null;
  return new Proxy(value, {
    get(target, key) {
      if (typeof key === 'string') seen.add(key);
      if (wrapped && /^[0-9]+$/.test(String(key))) return wrapped[key];
      const v = Reflect.get(target, key);
      if (wrapped || typeof key !== 'string') return v;
      return recording.cache(target, key, v, reads);
    },
    has(target, key) {
      if (typeof key === 'string') seen.add(key);
      return Reflect.has(target, key);
    },
    getOwnPropertyDescriptor(target, key) {
      if (typeof key === 'string') seen.add(key);
      return Reflect.getOwnPropertyDescriptor(target, key);
    },
  });
}
// One proxy per field, so repeated reads see the same object.
recording.proxies = new WeakMap();
recording.cache = function(target, key, v, reads) {
  if (v === null || typeof v !== 'object') return v;
  let fields = recording.proxies.get(target);
  if (!fields) recording.proxies.set(target, fields = new Map());
  if (!fields.has(key)) fields.set(key, recording(v, reads));
  return fields.get(key);
};

// The paths of fields in value that the validator never read.
function unknownFields(value, reads, at, out) {
  if (value === null || typeof value !== 'object') return out;
  const seen = reads.get(value);
  if (!seen) return out;  // Not reached: its parent already failed.
  if (Array.isArray(value)) {
    value.forEach((v, i) => unknownFields(v, reads, `${at}/${i}`, out));
    return out;
  }
  for (const key of Object.keys(value)) {
    if (!seen.has(key)) {
      out.push(`${at}/${key}`);
    } else {
      unknownFields(value[key], reads, `${at}/${key}`, out);
    }
  }
  return out;
}

// The problems of one document, [] when it is valid.
function problems(doc) {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    return ['not an object'];
  }
  // Only stable (GA) API versions: every Kubernetes from 1.29 on serves them,
  // while the package also keeps beta versions long removed from the API
  // (policy/v1beta1, extensions/v1beta1...).
  if (typeof doc.apiVersion === 'string' && !/^([a-z0-9.\-]+\/)?v[0-9]+$/.test(doc.apiVersion)) {
    return [`unknown apiVersion/kind ${JSON.stringify(doc.apiVersion)} ` +
            `${JSON.stringify(doc.kind)}: not a stable API version`];
  }
  const Model = modelClass(doc.apiVersion, doc.kind);
  if (!Model) {
    return [`unknown apiVersion/kind ${JSON.stringify(doc.apiVersion)} ` +
            `${JSON.stringify(doc.kind)}`];
  }
  const out = [];
  const reads = new Map();
  try {
    // The model's validate() runs the compiled schema on `this`.
    Model.prototype.validate.call(recording(doc, reads));
  } catch (e) {
    for (const err of e.errors || [{message: e.message}]) {
      const where = err.instancePath || '';
      out.push(`${where || '/'}: ${err.message}` +
               (err.params && err.params.allowedValues ?
                    ` (${err.params.allowedValues.join(', ')})` :
                    ''));
    }
  }
  for (const field of unknownFields(doc, reads, '', [])) {
    out.push(`${field}: unknown field`);
  }
  return out;
}

function main(files) {
  if (files.length === 0) {
    console.error('usage: validate.js FILE... ("-" for stdin)');
    return 2;
  }
  let bad = 0;
  let count = 0;
  for (const file of files) {
    const text = fs.readFileSync(file === '-' ? 0 : file, 'utf8');
    const docs = YAML.parseAllDocuments(text, {uniqueKeys: true});
    docs.forEach((d, i) => {
      const name = `${file}#${i}`;
      const errors = d.errors.map((e) => e.message);
      const doc = errors.length ? null : d.toJS();
      if (doc === null && !errors.length) return;  // An empty document.
      count++;
      const label = doc && doc.kind ?
          `${doc.kind}/${(doc.metadata && doc.metadata.name) || '?'}` :
          name;
      const found = errors.length ? errors : problems(doc);
      if (found.length) {
        bad++;
        for (const p of found) console.log(`INVALID ${label} (${name}): ${p}`);
      } else {
        console.log(`ok ${label}`);
      }
    });
  }
  if (count === 0) {
    console.log('INVALID: no document');
    return 1;
  }
  console.log(`${count - bad} valid, ${bad} invalid`);
  return bad ? 1 : 0;
}

process.exit(main(process.argv.slice(2)));
