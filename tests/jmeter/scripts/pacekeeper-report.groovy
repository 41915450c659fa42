// pacekeeper report — use as a JSR223 PostProcessor (language groovy) of a sampler in a tearDown
// Thread Group (e.g. a Debug Sampler): logs one line with the retries and give-ups of the run and
// the tickets still open in each bucket's pacer (0 everywhere when every paced sample was
// finished or cancelled), and puts it in the sample's response data.
def pk = props.get('pacekeeper')
String line = pk == null ? 'pacekeeper: not loaded' : pk.report()
log.info(line)
prev.setResponseData(line, 'UTF-8')
