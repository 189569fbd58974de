/** Turns a folder name into a DNS label: lower case, letters, digits and hyphens, at most 63 characters. */
export function toDnsLabel(name: string): string {
  const label = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 63)
    .replace(/-$/, '');
  return label || 'app';
}

/** A label not yet in `taken`: the label itself, else label-2, label-3, … */
export function uniqueLabel(label: string, taken: ReadonlySet<string>): string {
  if (!taken.has(label)) return label;
  for (let n = 2; ; n++) {
    const suffix = `-${n}`;
    const candidate = `${label.slice(0, 63 - suffix.length)}${suffix}`;
    if (!taken.has(candidate)) return candidate;
  }
}

/** The host an app answers on: `hostname` as a full name when it has a dot, else `<label>.localhost`. */
export function hostFor(label: string, configuredHostname: string): string {
  const hostname = configuredHostname.trim().toLowerCase().replace(/\.$/, '');
  if (!hostname) return `${label}.localhost`;
  return hostname.includes('.') ? hostname : `${hostname}.localhost`;
}

/** The host name of a `Host` header, lower case, without port or trailing dot. */
export function hostOfHeader(host: string): string {
  let name = host.trim().toLowerCase();
  if (name.startsWith('[')) {
    const end = name.indexOf(']');
    return end === -1 ? name : name.slice(0, end + 1);
  }
  const colon = name.lastIndexOf(':');
  if (colon !== -1) name = name.slice(0, colon);
  return name.endsWith('.') ? name.slice(0, -1) : name;
}
