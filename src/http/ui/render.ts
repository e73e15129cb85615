import { readdir, readFile } from 'node:fs/promises';
import Handlebars from 'handlebars';

/** Pages and partials live here: `layout.hbs`, one `<page>.hbs` per page, `partials/<name>.hbs`. */
export const TEMPLATES_DIR = new URL('./templates/', import.meta.url);

/** Fields the layout shows around every page. */
export interface LayoutView {
  readonly title: string;
  readonly nav: ReadonlyArray<{ href: string; label: string; current: boolean }>;
  /** The logged-in operator's name; absent on the login page before login. */
  readonly operator?: string;
  readonly canLogout: boolean;
  /** No operator token: say the console is open to anyone. */
  readonly open: boolean;
  readonly csrf: string;
  readonly notice?: string;
  readonly error?: string;
  readonly assets: { readonly css: string; readonly js: string; readonly icon: string };
}

export interface Renderer {
  /** A page inside the layout. */
  page(name: string, view: object, layout: LayoutView): string;
  /** A partial alone: what the live refresh fetches. */
  fragment(name: string, view: object): string;
}

const HELPERS = {
  eq: (a: unknown, b: unknown) => a === b,
};

/**
 * Reads, compiles and tries every template once at start-up, so a broken template stops the service
 * from starting instead of failing a page later. A private Handlebars environment (runbook templates
 * have their own), HTML escaping on everywhere: the only unescaped value is the layout's `body`, which
 * is a page we rendered. Only known helpers are allowed, so a typo fails here too.
 */
export async function loadTemplates(dir: URL = TEMPLATES_DIR): Promise<Renderer> {
  const hb = Handlebars.create();
  for (const [name, fn] of Object.entries(HELPERS)) hb.registerHelper(name, fn);
  const options = {
    knownHelpersOnly: true,
    knownHelpers: Object.fromEntries(Object.keys(HELPERS).map((name) => [name, true])),
    preventIndent: true,
  };
  const compile = (source: string) => hb.compile(source, options);
  const pages = new Map<string, HandlebarsTemplateDelegate>();
  const partials = new Map<string, HandlebarsTemplateDelegate>();
  for (const file of (await readdir(new URL('partials/', dir))).filter((f) => f.endsWith('.hbs'))) {
    const source = await readFile(new URL(`partials/${file}`, dir), 'utf8');
    const name = file.slice(0, -'.hbs'.length);
    const template = compile(source);
    hb.registerPartial(name, template);
    partials.set(name, template);
  }
  for (const file of (await readdir(dir)).filter((f) => f.endsWith('.hbs'))) {
    pages.set(file.slice(0, -'.hbs'.length), compile(await readFile(new URL(file, dir), 'utf8')));
  }
  // Handlebars compiles on first use: use each once now (an unknown partial or helper throws here).
  for (const [name, template] of [...pages, ...partials]) {
    try {
      template({});
    } catch (err) {
      throw new Error(`console template ${name}.hbs: ${(err as Error).message}`, { cause: err });
    }
  }
  const get = (map: Map<string, HandlebarsTemplateDelegate>, name: string) => {
    const template = map.get(name);
    if (!template) throw new Error(`no console template ${name}.hbs`);
    return template;
  };
  const layout = get(pages, 'layout');
  return {
    page: (name, view, frame) => layout({ ...frame, body: get(pages, name)(view) }),
    fragment: (name, view) => get(partials, name)(view),
  };
}
