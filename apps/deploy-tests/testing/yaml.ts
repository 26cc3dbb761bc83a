/**
 * YAML through the `js-yaml` already in node_modules (a transitive dev dependency; v3 and v4
 * APIs both work). Only the safe schema: no custom tags, merge keys (`<<`) supported.
 */
interface JsYaml {
  safeLoad?: (text: string, opts?: { filename?: string }) => unknown;
  safeLoadAll?: (text: string, iterator?: undefined, opts?: { filename?: string }) => unknown[];
  load: (text: string, opts?: { filename?: string }) => unknown;
  loadAll: (text: string, iterator?: undefined, opts?: { filename?: string }) => unknown[];
}

const yaml = require('js-yaml') as JsYaml;

export function parseYaml(text: string, filename?: string): unknown {
  return (yaml.safeLoad ?? yaml.load)(text, { filename });
}

/** Every document of a multi-document stream, empty ones dropped. */
export function parseYamlAll(text: string, filename?: string): unknown[] {
  const docs = yaml.safeLoadAll ? yaml.safeLoadAll(text, undefined, { filename }) : yaml.loadAll(text, undefined, { filename });
  return docs.filter((d) => d !== null && d !== undefined);
}
