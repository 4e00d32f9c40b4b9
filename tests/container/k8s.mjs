// k8s.mjs: schema check of deploy/k8s/claude-proxy.yaml, offline.  Each
// document is validated against the Kubernetes OpenAPI schema of its kind
// (kubernetes-models: the upstream schemas compiled to validators): types,
// required fields, formats.  Unknown fields are not caught (the schemas
// allow them, as a cluster's lax decoding does).  Prints one line per
// document; exits non-zero if any fails.
//
//   node tests/container/k8s.mjs deploy/k8s/claude-proxy.yaml
import fs from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { Secret, ConfigMap, Service } from 'kubernetes-models/v1';
import { Deployment } from 'kubernetes-models/apps/v1';

const kinds = { 'v1/Secret': Secret, 'v1/ConfigMap': ConfigMap, 'v1/Service': Service, 'apps/v1/Deployment': Deployment };
const file = process.argv[2];
let bad = 0;
const docs = parseAllDocuments(fs.readFileSync(file, 'utf8'));
for (const d of docs) {
    if (d.errors.length) {
        console.log(`not ok: YAML: ${d.errors[0].message}`);
        process.exit(1);
    }
    const obj = d.toJS();
    const Model = kinds[`${obj.apiVersion}/${obj.kind}`];
    const what = `${obj.apiVersion} ${obj.kind} ${obj.metadata?.name}`;
    if (!Model) {
        console.log(`not ok: ${what}: no schema here for this kind`);
        bad++;
        continue;
    }
    try {
        new Model(obj).validate();
        console.log(`ok: ${what}`);
    } catch (e) {
        console.log(`not ok: ${what}: ${e.message}`);
        bad++;
    }
}
process.exit(bad || docs.length === 0 ? 1 : 0);
