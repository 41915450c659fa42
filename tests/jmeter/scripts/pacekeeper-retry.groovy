// pacekeeper retries — use as a JSR223 PostProcessor (language groovy, "Cache compiled script"
// on) on the samplers to retry. Reads prev.getResponseCode() and prev.getResponseHeaders(),
// lets the engine decide (Retry-After and the other rate-limit headers are a floor), waits,
// re-runs the sampler until it succeeds or the engine gives up, and leaves the final attempt's
// result in prev. The attempt count is in the variable pacekeeper_attempts. Parameters: the
// bucket's name (empty: "default"), as in the pace PreProcessor: every response is fed to that
// bucket, so a 429 holds every thread that paces with it, and retries are paced by it too.
def pk = props.get('pacekeeper')
if (pk == null) {
    synchronized (props) {
        pk = props.get('pacekeeper')
        if (pk == null) {
            def lib = new File(new File(FileName).getAbsoluteFile().getParentFile(), 'pacekeeper-lib.groovy')
            pk = new GroovyShell(this.class.classLoader, new Binding([props: props])).evaluate(lib)
            props.put('pacekeeper', pk)
            log.info("pacekeeper: loaded ${props.getProperty('pacekeeper.wasm')} (Chicory ${pk.engine})")
        }
    }
}
String bucketName = (Parameters ?: '').trim() ?: 'default' // the bucket's name
int attempts = pk.retry(bucketName, ctx.getCurrentSampler(), prev, log)
vars.put('pacekeeper_attempts', String.valueOf(attempts))
