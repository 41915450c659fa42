// Type declarations of `pacekeeper`: the shared JS layer's (js/index.d.ts in the repository, the
// bundled `pacekeeper-js-api`), the same for `pacekeeper-wasm`.
export * from 'pacekeeper-js-api'
export { default } from 'pacekeeper-js-api'
