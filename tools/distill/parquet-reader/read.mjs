// Reads one `transformer teacher export --format parquet` shard with hyparquet (an independent Parquet reader,
// not the Parquet.Net that wrote it) and prints, as JSON, each column's leaf type and list nesting as the file's
// schema declares them, and every row. The export's tests compare this with what the engine exported.
// Run: node tools/distill/parquet-reader/read.mjs SHARD.parquet
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, parquetSchema } from 'hyparquet'

const file = await asyncBufferFromFile(process.argv[2])
const metadata = await parquetMetadataAsync(file)

// A column's description: the leaf's physical type behind one "list" per nesting level (Parquet's LIST groups).
function describe(node) {
  if (node.children.length === 0) return node.element.type.toLowerCase()
  if (node.element.converted_type === 'LIST') return `list<${describe(node.children[0].children[0])}>`
  throw new Error(`unexpected group ${node.element.name}`)
}

const columns = Object.fromEntries(parquetSchema(metadata).children.map(c => [c.element.name, describe(c)]))
const rows = await parquetReadObjects({ file })
// JSON has no infinity: a padded entry's -inf log-probability is printed as the string "-Infinity".
const finite = (key, value) => (typeof value === 'number' && !Number.isFinite(value) ? String(value) : value)
process.stdout.write(JSON.stringify({ num_rows: Number(metadata.num_rows), columns, rows }, finite))
