// Reads a CKL, CKLB or XCCDF results file with STIG Manager's own import parsers
// and prints what STIG Manager would import, as JSON on stdout.
//
//   node parse.mjs ckl|cklb|xccdf FILE
//
// Import options are STIG Manager's usual collection settings, except that
// unreviewed results (error, notchecked) are kept, so tests can see them.
import { readFileSync } from 'node:fs'
import {
  reviewsFromCkl,
  reviewsFromCklb,
  reviewsFromXccdf,
} from '@nuwcdivnpt/stig-manager-client-modules'

const parsers = { ckl: reviewsFromCkl, cklb: reviewsFromCklb, xccdf: reviewsFromXccdf }
const [format, file] = process.argv.slice(2)
if (!parsers[format] || !file) {
  console.error('usage: node parse.mjs ckl|cklb|xccdf FILE')
  process.exit(64)
}

const result = parsers[format]({
  data: readFileSync(file, 'utf8'),
  importOptions: {
    autoStatus: 'saved',
    unreviewed: 'always',
    unreviewedCommented: 'informational',
    emptyDetail: 'replace',
    emptyComment: 'ignore',
    allowCustom: true,
  },
  fieldSettings: {
    detail: { enabled: 'always', required: 'always' },
    comment: { enabled: 'findings', required: 'optional' },
  },
  allowAccept: true,
  scapBenchmarkMap: new Map(),
  sourceRef: file,
})
process.stdout.write(JSON.stringify(result, null, 2))
