/** A tiny element builder: the console is a few screens, not worth a UI framework. */
type Child = Node | string | number | null | undefined | false
/** Children nest (a list of rows, each a list of cells): they are flattened in order. */
export type Children = Child | ReadonlyArray<Children>

export interface Attributes {
  readonly [name: string]: string | number | boolean | undefined | ((event: Event) => void)
}

export const h = <K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: ReadonlyArray<Children>
): HTMLElementTagNameMap[K] => {
  const element = document.createElement(tag)
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue
    if (typeof value === "function") element.addEventListener(name.replace(/^on/, ""), value)
    else if (value === true) element.setAttribute(name, "")
    else element.setAttribute(name, String(value))
  }
  append(element, children)
  return element
}

export const append = (parent: Node, children: ReadonlyArray<Children>): void => {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue
    if (Array.isArray(child)) append(parent, child)
    else if (child instanceof Node) parent.appendChild(child)
    else parent.appendChild(document.createTextNode(String(child)))
  }
}

/** Replaces an element's content. */
export const replace = (parent: Element, ...children: ReadonlyArray<Children>): void => {
  parent.replaceChildren()
  append(parent, children)
}
