// Tarifa's worksheet functions for Excel (Office.js custom functions), served by `tarifa serve`
// from addin/server/functions.js. The server writes the TARIFA line (its settings) and appends
// one CustomFunctions.associate per function.
//
// TARIFA = { callPath, xlwingsVersion, signIn: null | { dialogPath } }
const TARIFA = /*TARIFA_CONFIG*/ null;
const tarifaState = { runtime: "1.1", language: null, culture: null, dateFormat: null,
                      workbook: "Book", session: Math.random().toString(36).slice(2) };

const tarifaReady = Office.onReady().then(async () => {
  for (const v of ["1.4", "1.3", "1.2"]) {
    if (Office.context.requirements.isSetSupported("CustomFunctionsRuntime", v)) {
      tarifaState.runtime = v;
      break;
    }
  }
  tarifaState.language = Office.context.contentLanguage || null;
  try {
    await Excel.run(async (context) => {
      const culture = context.application.cultureInfo;
      culture.load("name");
      culture.datetimeFormat.load("shortDatePattern");
      context.workbook.load("name");
      await context.sync();
      tarifaState.culture = culture.name;
      tarifaState.dateFormat = culture.datetimeFormat.shortDatePattern;
      tarifaState.workbook = context.workbook.name;
    });
  } catch (e) {
    console.warn("Tarifa: culture/workbook name not available", e);
  }
});

function tarifaText(message) {
  return String(message).slice(0, 250);
}

function tarifaError(message) {
  return new CustomFunctions.Error(CustomFunctions.ErrorCode.invalidValue, tarifaText(message));
}

// --- sign-in: Office single sign-on, else a dialog (Microsoft's sign-in page) ----------------

let tarifaToken = null; // { value, expires: seconds since 1970 }
let tarifaTokenPending = null;

function tarifaTokenExpiry(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(part + "===".slice((part.length + 3) % 4))).exp || 0;
  } catch (e) {
    return 0;
  }
}

function tarifaDialogToken() {
  return new Promise((resolve, reject) => {
    const url = window.location.origin + TARIFA.signIn.dialogPath;
    Office.context.ui.displayDialogAsync(url, { height: 60, width: 30 }, (opened) => {
      if (opened.status !== Office.AsyncResultStatus.Succeeded) {
        reject(new Error(`sign-in dialog: ${opened.error && opened.error.message}`));
        return;
      }
      const dialog = opened.value;
      dialog.addEventHandler(Office.EventType.DialogMessageReceived, (arg) => {
        dialog.close();
        let message = {};
        try { message = JSON.parse(arg.message); } catch (e) { /* not ours */ }
        if (message.token) resolve(message.token);
        else reject(new Error(message.error || "sign-in failed"));
      });
      dialog.addEventHandler(Office.EventType.DialogEventReceived, (arg) => {
        reject(new Error(`sign-in dialog closed (${arg.error})`));
      });
    });
  });
}

async function tarifaSignIn() {
  try {
    return await Office.auth.getAccessToken({ allowSignInPrompt: true,
                                              allowConsentPrompt: true });
  } catch (e) {
    // 13xxx: single sign-on not available here (older Office, consent, ...): the dialog.
    if (!TARIFA.signIn.dialogPath || !(Office.context && Office.context.ui)) throw e;
    return await tarifaDialogToken();
  }
}

async function tarifaAccessToken(renew) {
  const now = Date.now() / 1000;
  if (!renew && tarifaToken && tarifaToken.expires - 300 > now) return tarifaToken.value;
  if (!tarifaTokenPending) {
    tarifaTokenPending = tarifaSignIn()
      .then((value) => {
        tarifaToken = { value, expires: tarifaTokenExpiry(value) };
        return value;
      })
      .finally(() => { tarifaTokenPending = null; });
  }
  return await tarifaTokenPending;
}

// --- one call --------------------------------------------------------------------------------

async function tarifaPost(body, renew) {
  const headers = { "Content-Type": "application/json" };
  if (TARIFA.signIn) {
    let token;
    try {
      token = await tarifaAccessToken(renew);
    } catch (e) {
      throw tarifaError(`Tarifa: sign-in failed: ${(e && (e.message || e.code)) || e}`);
    }
    headers.Authorization = `Bearer ${token}`;
  }
  try {
    return await fetch(window.location.origin + TARIFA.callPath,
                       { method: "POST", headers, body });
  } catch (e) {
    throw tarifaError(`Tarifa server not reachable: ${e}`);
  }
}

async function tarifaDetail(response) {
  const text = await response.text();
  try {
    const detail = JSON.parse(text).detail;
    if (typeof detail === "string") return detail;
  } catch (e) { /* plain text */ }
  return text || `HTTP ${response.status}`;
}

// Excel error types -> CustomFunctions.ErrorCode, and whether Excel shows a custom message
// with that code (Microsoft: only #VALUE! and #N/A). #REF!, #NAME? and the others cannot be a
// custom function's result: they become #VALUE! saying which error the arguments held.
const TARIFA_ERRORS = {
  Value: ["invalidValue", true],
  NotAvailable: ["notAvailable", true],
  Num: ["invalidNumber", false],
  Div0: ["divisionByZero", false],
  Null: ["nullReference", false],
};

function tarifaCellError(errorType, message) {
  const known = TARIFA_ERRORS[errorType];
  const codes = CustomFunctions.ErrorCode;
  if (!known) return new CustomFunctions.Error(codes.invalidValue, tarifaText(message));
  const [code, withMessage] = known;
  return withMessage ? new CustomFunctions.Error(codes[code], tarifaText(message))
                     : new CustomFunctions.Error(codes[code]);
}

function tarifaWhere(r, c, rows, columns) {
  if (rows > 1 && columns > 1) return ` (row ${r + 1}, column ${c + 1})`;
  if (rows > 1) return ` (row ${r + 1})`;
  if (columns > 1) return ` (column ${c + 1})`;
  return "";
}

// The server's answer -> the cells for Excel: each error cell a CustomFunctions.Error whose
// message is "NAME: reason (row r)".
function tarifaCells(funcName, answer) {
  const result = answer.result;
  if (!Array.isArray(result) || !Array.isArray(answer.errors)) return result;
  const rows = result.length;
  const columns = rows ? result[0].length : 0;
  const reasons = answer.reasons || [];
  for (const [r, c, k] of answer.errors) {
    const cell = result[r] && result[r][c];
    if (!cell || cell.type !== "Error") continue;
    const message = `${funcName}: ${reasons[k]}${tarifaWhere(r, c, rows, columns)}`;
    result[r][c] = tarifaCellError(cell.errorType, message);
  }
  return result;
}

async function tarifaCall(funcName, args, invocation) {
  await tarifaReady;
  const body = JSON.stringify({
    client: "Office.js",
    func_name: funcName,
    args: args.map((a) => (a === undefined ? null : a)),
    caller_address: `Office.js[${tarifaState.workbook}]${invocation.address}`,
    content_language: tarifaState.language,
    culture_info_name: tarifaState.culture,
    date_format: tarifaState.dateFormat,
    session_id: tarifaState.session,
    version: TARIFA.xlwingsVersion,
    runtime: tarifaState.runtime,
  });
  let response = await tarifaPost(body, false);
  if (response.status === 401 && TARIFA.signIn) {
    response = await tarifaPost(body, true); // expired or revoked: sign in once more
  }
  if (!response.ok) {
    throw tarifaError(await tarifaDetail(response));
  }
  return tarifaCells(funcName, await response.json());
}
