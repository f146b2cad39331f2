// Parse TeX formulas with MathJax 3 and report each one's error (null where it parses).
//
//   node mathjax_parse.js MATHJAX_DIR < formulas.json > errors.json
//
// formulas.json is [[tex, display], ...]. MATHJAX_DIR is the MathJax build the docs
// ship (sphinx-mathjax-offline's static/mathjax). The TeX input is the one the pages'
// tex-chtml.js loads (autoload brings the other packages on demand), less
// `noundefined`, as docs/conf.py configures the pages: an unknown macro is an error.
const fs = require('fs');
const dir = process.argv[2];
const config = {
  loader: {load: ['input/tex', 'adaptors/liteDOM']},
  tex: {packages: {'[-]': ['noundefined']}, formatError: (jax, err) => { throw err; }},
  startup: {typeset: false},
};
require(dir + '/node-main.js').init(config).then(async (MathJax) => {
  const items = JSON.parse(fs.readFileSync(0, 'utf8'));
  const out = [];
  for (const [tex, display] of items) {
    try {
      await MathJax.tex2mmlPromise(tex, {display});
      out.push(null);
    } catch (e) {
      out.push(String((e && e.message) || e));
    }
  }
  process.stdout.write(JSON.stringify(out));
}).catch((e) => { console.error(String(e)); process.exit(3); });
