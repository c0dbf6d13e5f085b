import type { CommandModule } from '../context.ts';
import { addK8sRegistryInfoCommand } from './k8s/k8s-registry-info.ts';
import { addK8sRewriteCommand } from './k8s/k8s-rewrite.ts';
import { addK8sScanCommands } from './k8s/k8s-scan.ts';

/** `ferry k8s scan | sync-gen | rewrite | registry-info | mirror-config`: Kubernetes and OpenShift migration. */
export const k8sCommand: CommandModule = (program, ctx) => {
  const k8s = program.command('k8s').description('Kubernetes/OpenShift migration: find, stage and rewrite the images of exported resources');
  addK8sScanCommands(k8s, ctx);
  addK8sRewriteCommand(k8s, ctx);
  addK8sRegistryInfoCommand(k8s, ctx);
};
