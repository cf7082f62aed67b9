import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

/**
 * The shipped workflows are imported as they are except for their Settings node, which
 * every user edits too: the test points it at its own trader, sink and sample date.
 */

const Assignment = z.object({ name: z.string(), value: z.unknown() }).passthrough();
const WorkflowNode = z.object({ name: z.string(), parameters: z.record(z.string(), z.unknown()) }).passthrough();
const Workflow = z.object({ id: z.string(), name: z.string(), nodes: z.array(WorkflowNode) }).passthrough();
const SettingsParameters = z.object({ assignments: z.object({ assignments: z.array(Assignment) }) }).passthrough();

/** Writes `n8n_workflows/<file>` into `dir` with the named Settings fields changed; a name the node lacks is an error. */
export function withSettings(
  root: string,
  file: string,
  dir: string,
  values: Record<string, string | boolean>,
): { id: string; path: string } {
  const workflow = Workflow.parse(JSON.parse(fs.readFileSync(path.join(root, 'n8n_workflows', file), 'utf8')));
  const settings = workflow.nodes.find((n) => n.name === 'Settings');
  if (!settings) throw new Error(`${file} has no Settings node`);
  const { assignments } = SettingsParameters.parse(settings.parameters).assignments;
  for (const [name, value] of Object.entries(values)) {
    const field = assignments.find((a) => a.name === name);
    if (!field) throw new Error(`${file}: the Settings node has no field '${name}'`);
    field.value = value;
  }
  settings.parameters = { ...settings.parameters, assignments: { assignments } };
  const out = path.join(dir, file);
  fs.writeFileSync(out, JSON.stringify(workflow, null, 2));
  return { id: workflow.id, path: out };
}
