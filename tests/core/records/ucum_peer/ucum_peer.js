// SPDX-License-Identifier: Apache-2.0
// The peer of tst_ucum_units: NLM's ucum-lhc converts and validates the same UCUM expressions.
// stdin, one request per line, tab-separated:
//   convert<TAB>value<TAB>from<TAB>to  ->  the converted value, or "ERROR"
//   valid<TAB>unit                     ->  "valid" or "invalid"
// stdout: one line "answer<TAB>..." per request, in order (ucum-lhc itself logs other lines there).
const ucum = require('@lhncbc/ucum-lhc');
const utils = ucum.UcumLhcUtils.getInstance();
const lines = require('fs').readFileSync(0, 'utf8').split('\n').filter((line) => line.length > 0);
for (const line of lines) {
    const fields = line.split('\t');
    if (fields[0] === 'convert') {
        const result = utils.convertUnitTo(fields[2], Number(fields[1]), fields[3]);
        console.log('answer\t' + (result.status === 'succeeded' ? String(result.toVal) : 'ERROR'));
    } else {
        console.log('answer\t' + (utils.validateUnitString(fields[1]).status === 'valid' ? 'valid' : 'invalid'));
    }
}
