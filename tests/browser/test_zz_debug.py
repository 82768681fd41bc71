import time
from .test_labextension import EDGE_CELL, editor, wait_languages

def test_debug(lab, page):
    name = lab.write_notebook("dbg.ipynb", [EDGE_CELL])
    lab.open(page, name)
    wait_languages(page, ["typescript"])
    page.evaluate("""() => {
        const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
        window.nbrLog = [];
        kernel.statusChanged.connect((_, s) => window.nbrLog.push(performance.now().toFixed(0) + ' ' + s));
        const f = kernel.requestExecute({code: "import time; print('sleeping', flush=True); time.sleep(600)"});
        f.onIOPub = message => { window.nbrLog.push(message.header.msg_type + ' ' + JSON.stringify(message.content).slice(0, 200)); if (message.header.msg_type === 'stream') { window.nbrSleeping = true; } };
        f.onReply = m => window.nbrLog.push('reply ' + JSON.stringify(m.content).slice(0, 300));
    }""")
    page.wait_for_function("window.nbrSleeping === true", timeout=20_000)
    for i in range(10):
        page.wait_for_timeout(1000)
        print(page.evaluate("window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.status"))
    print(page.evaluate("window.nbrLog"))
