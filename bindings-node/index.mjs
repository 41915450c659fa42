// ES-module entry point over the CommonJS package.
import api from './index.js'
export const {
  version, errorCodes, parseHeaders, Limiter, Backoff, newRetryState, newRetryBudget, plan, replan, PacerCore,
  withRetry, wrapFetch, Pacer, readResponse, isNetworkError, installGenesys, tokenKey, flattenHeaders,
  RetryError, TimeoutError, createRedisStore, StoreError, sharedScript, sharedScriptSha1
} = api
export default api
