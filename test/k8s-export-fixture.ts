import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/**
 * Writes a directory shaped like `crane export` output (resources/<ns>/
 * Kind_group_version_ns_name.yaml, failures/<ns>/…, a hidden run record)
 * for one application namespace `shop` and the cluster's `openshift`
 * namespace. Its ImageStreams cover the four image classes of the crane
 * image-transfer design:
 *
 * | tag                    | class             | staged |
 * |------------------------|-------------------|--------|
 * | openshift/nodejs:18    | openshift-internal| no     |
 * | shop/frontend:latest   | internally-built  | yes    |
 * | shop/python:3.11       | public            | no     |
 * | shop/tools:stable      | externally-built  | yes    |
 * | shop/tools:1.0         | externally-built  | yes    | (OpenShift 3 registry name)
 * | shop/tools:upstream    | public            | no     |
 * | shop/tools:next        | externally-built  | no     | (no image yet)
 * | shop/worker:1.0        | internally-built  | no     | (never built)
 *
 * plus workloads (DeploymentConfig, Deployment as JSON, CronJob, a
 * multi-document file with a List, a Pod with ephemeral containers), a broken
 * file and a failures/ entry that must be ignored.
 */

export const INTERNAL = 'image-registry.openshift-image-registry.svc:5000';
export const INTERNAL3 = 'docker-registry.default.svc:5000';

/** Digests of the images the fixture refers to; tests that push real images pass theirs. */
export interface FixtureDigests {
  frontend: string;
  toolsStable: string;
  tools10: string;
}

const fake = (c: string): string => `sha256:${c.repeat(64)}`;
export const FAKE_DIGESTS: FixtureDigests = { frontend: fake('a'), toolsStable: fake('b'), tools10: fake('c') };
const PYTHON = fake('d');
const NODEJS = fake('e');
const UPSTREAM = fake('f');

/** Files of the export, relative to its root. */
export function craneExportFiles(d: FixtureDigests = FAKE_DIGESTS): Record<string, string> {
  const r = 'resources/shop';
  return {
    '.crane-run.json': '{"command":"export"}\n',
    [`${r}/ImageStream_image.openshift.io_v1_shop_frontend.yaml`]: `apiVersion: image.openshift.io/v1
kind: ImageStream
metadata:
  name: frontend
  namespace: shop
spec:
  lookupPolicy:
    local: false
status:
  dockerImageRepository: ${INTERNAL}/shop/frontend
  publicDockerImageRepository: default-route-openshift-image-registry.apps.example.com/shop/frontend
  tags:
  - tag: latest
    items:
    - created: "2024-05-02T10:00:00Z"
      dockerImageReference: ${INTERNAL}/shop/frontend@${d.frontend}
      image: ${d.frontend}
      generation: 2
    - created: "2024-05-01T10:00:00Z"
      dockerImageReference: ${INTERNAL}/shop/frontend@${fake('9')}
      image: ${fake('9')}
      generation: 1
`,
    [`${r}/ImageStream_image.openshift.io_v1_shop_python.yaml`]: `apiVersion: image.openshift.io/v1
kind: ImageStream
metadata:
  name: python
  namespace: shop
spec:
  tags:
  - name: "3.11"
    from:
      kind: DockerImage
      name: docker.io/library/python:3.11
    importPolicy: {}
    referencePolicy:
      type: Local
status:
  dockerImageRepository: ${INTERNAL}/shop/python
  tags:
  - tag: "3.11"
    items:
    - dockerImageReference: docker.io/library/python@${PYTHON}
      image: ${PYTHON}
`,
    [`${r}/ImageStream_image.openshift.io_v1_shop_tools.yaml`]: `apiVersion: image.openshift.io/v1
kind: ImageStream
metadata:
  name: tools
  namespace: shop
spec:
  tags:
  - name: upstream
    from:
      kind: DockerImage
      name: quay.io/example/tools:latest
  - name: next
status:
  dockerImageRepository: ${INTERNAL}/shop/tools
  tags:
  - tag: stable
    items:
    - dockerImageReference: ${INTERNAL}/shop/tools@${d.toolsStable}
      image: ${d.toolsStable}
  - tag: "1.0"
    items:
    - dockerImageReference: ${INTERNAL3}/shop/tools@${d.tools10}
      image: ${d.tools10}
  - tag: upstream
    items:
    - dockerImageReference: quay.io/example/tools@${UPSTREAM}
      image: ${UPSTREAM}
`,
    [`${r}/ImageStream_image.openshift.io_v1_shop_worker.yaml`]: `apiVersion: image.openshift.io/v1
kind: ImageStream
metadata:
  name: worker
  namespace: shop
spec:
  tags:
  - name: "1.0"
`,
    [`${r}/ImageStreamTag_image.openshift.io_v1_shop_tools:stable.yaml`]: `apiVersion: image.openshift.io/v1
kind: ImageStreamTag
metadata:
  name: tools:stable
  namespace: shop
image:
  metadata:
    name: ${d.toolsStable}
  dockerImageReference: ${INTERNAL}/shop/tools@${d.toolsStable}
tag: null
`,
    [`${r}/BuildConfig_build.openshift.io_v1_shop_builds.yaml`]: `apiVersion: v1
kind: List
items:
- apiVersion: build.openshift.io/v1
  kind: BuildConfig
  metadata:
    name: frontend
    namespace: shop
  spec:
    source:
      git:
        uri: https://git.example.com/shop/frontend.git
    strategy:
      type: Source
      sourceStrategy:
        from:
          kind: ImageStreamTag
          name: nodejs:18
          namespace: openshift
    output:
      to:
        kind: ImageStreamTag
        name: frontend:latest
- apiVersion: build.openshift.io/v1
  kind: BuildConfig
  metadata:
    name: worker
    namespace: shop
  spec:
    strategy:
      type: Docker
      dockerStrategy:
        from:
          kind: DockerImage
          name: registry.access.redhat.com/ubi9/ubi:latest
    output:
      to:
        kind: ImageStreamTag
        name: worker:1.0
`,
    [`${r}/DeploymentConfig_apps.openshift.io_v1_shop_frontend.yaml`]: `# exported by crane
apiVersion: apps.openshift.io/v1
kind: DeploymentConfig
metadata:
  name: frontend
  namespace: shop
  labels: {app: frontend}
spec:
  replicas: 2
  template:
    metadata:
      labels:
        app: frontend
    spec:
      containers:
      - name: web   # the storefront
        image: ${INTERNAL}/shop/frontend@${d.frontend}
        ports:
        - containerPort: 8080
      - name: metrics
        image: "quay.io/example/exporter:v2"  # sidecar, stays where it is
  triggers:
  - type: ImageChange
    imageChangeParams:
      automatic: true
      containerNames: [web]
      from:
        kind: ImageStreamTag
        name: frontend:latest
`,
    [`${r}/Deployment_apps_v1_shop_api.json`]: `{
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {
        "name": "api",
        "namespace": "shop"
    },
    "spec": {
        "template": {
            "spec": {
                "initContainers": [
                    {
                        "name": "migrate",
                        "image": "${INTERNAL}/shop/tools:stable"
                    }
                ],
                "containers": [
                    {
                        "name": "api",
                        "image": "docker.io/library/busybox:1.36"
                    }
                ]
            }
        }
    }
}
`,
    [`${r}/CronJob_batch_v1_shop_report.yaml`]: `apiVersion: batch/v1
kind: CronJob
metadata:
  name: report
  namespace: shop
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
          - name: report
            image: '${INTERNAL3}/shop/tools:1.0'
`,
    [`${r}/misc.yaml`]: `apiVersion: v1
kind: Service
metadata:
  name: api
  namespace: shop
spec:
  ports:
  - port: 80
---
# a debugging pod
apiVersion: v1
kind: Pod
metadata:
  name: debug
  namespace: shop
spec:
  containers:
  - name: main
    image: ${INTERNAL}/shop/tools:stable
  ephemeralContainers:
  - name: shell
    image: docker.io/library/busybox:1.36
---
apiVersion: apps/v1
kind: StatefulSetList
items:
- apiVersion: apps/v1
  kind: StatefulSet
  metadata:
    name: db
    namespace: shop
  spec:
    template:
      spec:
        containers:
        - name: db
          image: registry.example.com/db/postgres:16
`,
    [`${r}/broken.yaml`]: `apiVersion: v1
kind: ConfigMap
metadata:
  name: broken
data:
  key: [unclosed
`,
    'resources/openshift/ImageStream_image.openshift.io_v1_openshift_nodejs.yaml': `apiVersion: image.openshift.io/v1
kind: ImageStream
metadata:
  name: nodejs
  namespace: openshift
status:
  dockerImageRepository: ${INTERNAL}/openshift/nodejs
  tags:
  - tag: "18"
    items:
    - dockerImageReference: ${INTERNAL}/openshift/nodejs@${NODEJS}
      image: ${NODEJS}
`,
    'failures/shop/Pod_v1_shop_failed.yaml': `apiVersion: v1
kind: Pod
metadata:
  name: failed
  namespace: shop
spec:
  containers:
  - name: x
    image: must-not-be-seen/app:1
`,
  };
}

/** Writes the export under `root` and returns the file map written. */
export async function writeCraneExport(root: string, digests: FixtureDigests = FAKE_DIGESTS): Promise<Record<string, string>> {
  const files = craneExportFiles(digests);
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
  }
  return files;
}
