#!/usr/bin/env node
// Checks what execgw's rendered manifests promise beyond the schemas (see
// README.md, "Deploying on Kubernetes"): the security context of every
// container, requests and limits, the gRPC probes, ports, the config and
// secret mounts, and the resources of each mode.
//
// usage: expect.js --mode=service|sidecar [--config-out=FILE] [--same-as=OTHER]
//        RENDERED.yaml
// --config-out writes the ConfigMap's config.json there (for --check-config);
// --same-as fails unless OTHER (the same kustomization rendered by another
// kustomize) holds the same documents, ConfigMap hash suffixes aside.
// Prints every broken promise and exits 1 if there is one.
'use strict';
const fs = require('fs');
const path = require('path');
const {createRequire} = require('module');

const repo = path.resolve(__dirname, '..', '..');
const tools = process.env.EXECGW_K8S_TOOLS || path.join(repo, '.tools', 'k8s');
const YAML = createRequire(path.join(tools, 'package.json'))('yaml');

const args = {};
const files = [];
for (const a of process.argv.slice(2)) {
  const m = /^--([a-z-]+)=(.*)$/.exec(a);
  if (m) args[m[1]] = m[2]; else files.push(a);
}
if (files.length !== 1 || !['service', 'sidecar'].includes(args.mode)) {
  console.error('usage: expect.js --mode=service|sidecar [--config-out=FILE] ' +
                '[--same-as=OTHER] RENDERED.yaml');
  process.exit(2);
}

const load = (file) => YAML.parseAllDocuments(fs.readFileSync(file, 'utf8'))
                           .map((d) => d.toJS())
                           .filter((d) => d !== null);
const docs = load(files[0]);
const failures = [];
function expect(ok, what) {
  if (!ok) failures.push(what);
  return ok;
}
const ofKind = (kind) => docs.filter((d) => d.kind === kind);
const named = (kind, name) =>
  docs.find((d) => d.kind === kind && d.metadata.name === name);
const matches = (selector, labels) => !!selector &&
  Object.entries(selector).every(([k, v]) => labels[k] === v);

const deployments = ofKind('Deployment');
expect(deployments.length === 1, `one Deployment, not ${deployments.length}`);
const deployment = deployments[0] || {spec: {template: {spec: {}}}};
const pod = deployment.spec.template;
const podLabels = (pod.metadata && pod.metadata.labels) || {};
const spec = pod.spec;
const where = `Deployment ${deployment.metadata && deployment.metadata.name}`;

// The pod and every container in it.
const psc = spec.securityContext || {};
expect(psc.runAsNonRoot === true, `${where}: runAsNonRoot`);
expect(Number.isInteger(psc.runAsUser) && psc.runAsUser > 0,
       `${where}: a numeric non-root runAsUser`);
expect(psc.seccompProfile && psc.seccompProfile.type === 'RuntimeDefault',
       `${where}: seccompProfile RuntimeDefault`);
expect(spec.automountServiceAccountToken === false,
       `${where}: no service account token`);
expect(spec.terminationGracePeriodSeconds > 25,
       `${where}: terminationGracePeriodSeconds above drainGraceMs (25 s)`);
expect(!!named('ServiceAccount', spec.serviceAccountName),
       `${where}: its ServiceAccount ${spec.serviceAccountName} is rendered`);
const all = [...(spec.initContainers || []), ...(spec.containers || [])];
for (const c of all) {
  const sc = c.securityContext || {};
  const at = `${where} container ${c.name}`;
  expect(sc.readOnlyRootFilesystem === true, `${at}: readOnlyRootFilesystem`);
  expect(sc.allowPrivilegeEscalation === false,
         `${at}: allowPrivilegeEscalation false`);
  expect(sc.capabilities && (sc.capabilities.drop || []).includes('ALL'),
         `${at}: drops ALL capabilities`);
  const r = c.resources || {};
  for (const k of ['requests', 'limits']) {
    expect(r[k] && r[k].cpu && r[k].memory, `${at}: ${k} for cpu and memory`);
  }
}

// The execgw container: a container (service) or a native sidecar.
const execgw = all.find((c) => c.name === 'execgw') || {};
const inInit = (spec.initContainers || []).includes(execgw);
if (args.mode === 'sidecar') {
  expect(inInit && execgw.restartPolicy === 'Always',
         `${where}: execgw is an initContainer with restartPolicy Always`);
  const apps = spec.containers || [];
  expect(apps.length >= 1 && apps.every(
      (c) => JSON.stringify(c.command || []).includes('localhost:50051')),
      `${where}: the app containers call localhost:50051`);
} else {
  expect(!inInit && execgw.name === 'execgw',
         `${where}: an execgw container`);
}
expect((execgw.args || []).includes('--config=/etc/execgw/config.json'),
       'execgw: --config=/etc/execgw/config.json');
const port = (name) => (execgw.ports || []).find((p) => p.name === name);
expect(port('probe') && port('probe').containerPort === 8081,
       'execgw: port probe 8081');
expect(port('metrics') && port('metrics').containerPort === 9090,
       'execgw: port metrics 9090');
if (args.mode === 'service') {
  expect(port('grpc') && port('grpc').containerPort === 50051,
         'execgw: port grpc 50051');
}
for (const [probe, service] of [['startupProbe', 'execgw.readiness'],
                                ['readinessProbe', 'execgw.readiness'],
                                ['livenessProbe', 'execgw.liveness']]) {
  const g = execgw[probe] && execgw[probe].grpc;
  expect(g && g.port === 8081 && g.service === service,
         `execgw: ${probe} is a gRPC probe of ${service} on 8081`);
}
const annotations = (pod.metadata && pod.metadata.annotations) || {};
expect(annotations['prometheus.io/port'] === '9090',
       `${where}: prometheus.io/port 9090`);

// The config and the secrets it names.
const mount = (p) => (execgw.volumeMounts || []).find((m) => m.mountPath === p);
const volume = (m) => m && (spec.volumes || []).find((v) => v.name === m.name);
const configVolume = volume(mount('/etc/execgw'));
const configMap = configVolume && configVolume.configMap &&
                  named('ConfigMap', configVolume.configMap.name);
let config = null;
if (expect(configMap && configMap.data && configMap.data['config.json'],
           'execgw: a rendered ConfigMap with config.json at /etc/execgw')) {
  try {
    config = JSON.parse(configMap.data['config.json']);
  } catch (e) {
    expect(false, `config.json is not JSON: ${e.message}`);
  }
}
const secretVolume = volume(mount('/var/run/secrets/execgw'));
expect(secretVolume && secretVolume.secret,
       'execgw: a Secret mounted at /var/run/secrets/execgw');
if (config) {
  const listen = (c, k) => (config[c] && config[c][k]) || '';
  expect(listen('server', 'listen') ===
             (args.mode === 'sidecar' ? '127.0.0.1:50051' : '0.0.0.0:50051'),
         `config: server.listen ${listen('server', 'listen')}`);
  expect(listen('health', 'listen') === '0.0.0.0:8081',
         'config: health.listen 0.0.0.0:8081');
  expect(listen('admin', 'listen') === '0.0.0.0:9090',
         'config: admin.listen 0.0.0.0:9090');
  // Every {"file": ...} secret is a key of the mounted Secret.
  const secret = secretVolume && secretVolume.secret &&
                 named('Secret', secretVolume.secret.secretName);
  const keys = secret ? Object.keys({...secret.data, ...secret.stringData}) : [];
  JSON.stringify(config, (k, v) => {
    if (k === 'file' && typeof v === 'string') {
      const key = v.replace(/^\/var\/run\/secrets\/execgw\//, '');
      expect(key !== v && keys.includes(key),
             `config: secret file ${v} is a key of the mounted Secret`);
    }
    return v;
  });
  if (args['config-out']) {
    fs.writeFileSync(args['config-out'], configMap.data['config.json']);
  }
}

// Whatever selects the pod selects it.
for (const np of ofKind('NetworkPolicy')) {
  expect(matches(np.spec.podSelector.matchLabels, podLabels),
         `NetworkPolicy ${np.metadata.name} selects the pod`);
}
const policies = ofKind('NetworkPolicy');
expect(policies.length >= 1, 'a NetworkPolicy');
if (args.mode === 'service') {
  expect(policies.some((p) => !p.spec.ingress && !p.spec.egress &&
                              p.spec.policyTypes.includes('Ingress') &&
                              p.spec.policyTypes.includes('Egress')),
         'a default-deny NetworkPolicy (both directions, no rule)');
  const services = ofKind('Service');
  expect(services.some((s) => s.spec.clusterIP === 'None'), 'a headless Service');
  expect(services.some((s) => s.spec.clusterIP !== 'None'), 'a ClusterIP Service');
  for (const s of services) {
    expect(matches(s.spec.selector, podLabels),
           `Service ${s.metadata.name} selects the pod`);
    expect(s.spec.ports.some((p) => p.name === 'grpc' && p.targetPort === 'grpc'),
           `Service ${s.metadata.name}: port grpc`);
  }
  const hpa = ofKind('HorizontalPodAutoscaler')[0];
  expect(hpa && hpa.spec.scaleTargetRef.name === deployment.metadata.name,
         'a HorizontalPodAutoscaler of the Deployment');
  const pdb = ofKind('PodDisruptionBudget')[0];
  expect(pdb && matches(pdb.spec.selector.matchLabels, podLabels),
         'a PodDisruptionBudget of the pods');
}

// Two kustomize versions render the same documents.
if (args['same-as']) {
  const canon = (list) => list.map((d) => JSON.stringify(d, (k, v) =>
      (v && typeof v === 'object' && !Array.isArray(v)) ?
          Object.fromEntries(Object.keys(v).sort().map((x) => [x, v[x]])) :
          typeof v === 'string' ? v.replace(/^(execgw-config)-[a-z0-9]{10}$/, '$1-HASH') :
          v)).sort();
  const a = canon(docs);
  const b = canon(load(args['same-as']));
  expect(a.length === b.length && a.every((x, i) => x === b[i]),
         `the same documents as ${args['same-as']}`);
}

for (const f of failures) console.log(`FAILED: ${f}`);
console.log(failures.length ? `${failures.length} failed` :
                              `expect: ${files[0]} keeps every promise`);
process.exit(failures.length ? 1 : 0);
