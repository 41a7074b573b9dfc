// No personal data leaves the browser: e-mail addresses are cut out of URLs, titles and string properties,
// and values are trimmed to the contract's limits so the collector never has to reject them.
import type { Props } from "./contract.gen";

const EMAIL = /[\w.!#$%&'*+^`{|}~-]+(?:@|%40)[\w-]+(?:\.[\w-]+)+/gi;

export function scrub(text: string, max: number): string {
  return text.replace(EMAIL, "[email]").slice(0, max);
}

/** Props as the contract allows them: <= 32 keys named like identifiers, scalar values, strings <= 1024. */
export function cleanProps(props: Record<string, unknown>): Props {
  const out: Props = {};
  let n = 0;
  for (const k in props) {
    let v = props[k];
    if (n > 31 || !/^[A-Za-z_]\w{0,63}$/.test(k)) continue;
    if (typeof v == "string") v = scrub(v, 1024);
    else if (v != null && typeof v != "number" && typeof v != "boolean") continue;
    out[k] = v as Props[string];
    n++;
  }
  return out;
}
