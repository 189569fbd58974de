/**
 * What a configuration problem is (file, line, key, value, message, fix) and how it reads: shared by the settings
 * loader (load.ts), the file guards (file-guard.ts) and web.config's reader (core/iis/).
 */

/** One problem found in configuration: where it is, what is wrong, and how to fix it. */
export interface ConfigIssue {
  severity: 'error' | 'warning';
  file?: string;
  line?: number;
  column?: number;
  /** The environment variable the value came from, when it came from one. */
  env?: string;
  key?: string;
  value?: string;
  message: string;
  fix?: string;
}

export class ConfigError extends Error {
  readonly issues: ConfigIssue[];
  constructor(issues: ConfigIssue[]) {
    super(issues.map(formatIssue).join('\n'));
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

export function formatIssue(issue: ConfigIssue): string {
  let where = '';
  if (issue.file) where = `${issue.file}${issue.line ? `:${issue.line}${issue.column ? `:${issue.column}` : ''}` : ''}: `;
  else if (issue.env) where = `environment variable ${issue.env}: `;
  const fix = issue.fix ? ` ${issue.fix}` : '';
  return `${where}${issue.message}${fix}`;
}
