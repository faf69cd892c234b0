/**
 * Building the page: every value from the API goes in through textContent or attributes (never
 * innerHTML), so a tag or a reason string cannot inject markup.
 */

/** An element of the page shell (page.ts); the shell always has it. */
export function $<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`the page has no #${id}`);
  return el as T;
}

type Child = Node | string | number | null | undefined | false;
type Props = Record<string, string | boolean | null | undefined | Record<string, string> | ((event: Event) => void)>;

export function h(tag: string, props: Props = {}, children: readonly Child[] = []): HTMLElement {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'class') el.className = String(value);
    else if (key === 'text') el.textContent = String(value);
    else if (key === 'data' && typeof value === 'object') Object.assign(el.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children) {
    if (child !== null && child !== undefined && child !== false) el.append(child instanceof Node ? child : String(child));
  }
  return el;
}
