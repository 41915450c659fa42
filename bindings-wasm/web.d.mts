// `pacekeeper-wasm/web`: the same API as `pacekeeper-wasm` (index.d.ts, the Node package's own
// declarations), for browsers without a bundler. Call `init()` (or `initSync`) once before use.
import type pacekeeper from './index.js'
export * from './index.js'

/** The inputs wasm-bindgen's `init` accepts: a URL or path of pacekeeper_wasm_bg.wasm, a fetch
 * Response (or a promise of one), its bytes, or a compiled module. Default: the file beside the
 * script. */
export type InitInput = RequestInfo | URL | Response | BufferSource | WebAssembly.Module

/** Loads and instantiates the WebAssembly module; resolves to the API object. */
export default function init(input?: InitInput | Promise<InitInput>): Promise<typeof pacekeeper>
/** Instantiates the module from its bytes or a compiled module, synchronously. */
export declare function initSync(module: BufferSource | WebAssembly.Module): typeof pacekeeper
