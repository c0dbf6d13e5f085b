/**
 * OCI layout stores (mirror stores, `sync --dest oci` targets, bundle
 * imports) as the library's callers open them: the commands that work on a
 * whole store (verify, gc, bundle) start here.
 */
export { openLayoutStore, type LayoutStore, type OpenLayoutStoreOptions } from '../transports/layout/index.ts';
