"""What ``tarifa serve`` hands to Excel besides JSON: the custom-functions JavaScript, the task
pane page, the add-in manifest and the icons. Plain text generated from the functions'
metadata; no files, no downloads (Office.js itself comes from Microsoft's CDN)."""

from __future__ import annotations

import html
import json
import re
import struct
import zlib
from collections.abc import Iterable
from typing import TYPE_CHECKING
from xml.sax.saxutils import quoteattr

if TYPE_CHECKING:
    from addin.server import Settings

OFFICE_JS = "https://appsforoffice.microsoft.com/lib/1/hosted/office.js"
# The endpoint paths of the xlwings-server project (app/routers/xlwings.py there).
META_PATH = "/xlwings/custom-functions-meta"
CODE_PATH = "/xlwings/custom-functions-code"
CALL_PATH = "/xlwings/custom-functions-call"
TARIFA_BLUE = (0x1F, 0x4E, 0x79)

# The body each call posts is the one xlwings' own Office.js code sends (see
# xlwings.server.custom_functions_call): func_name, args (one 2-D matrix per argument, null
# when omitted), caller_address, content_language, culture_info_name, date_format, version,
# runtime. A failed call becomes an Excel error whose message is the server's text.
_CODE_HEAD = """\
// Tarifa's worksheet functions for Excel (Office.js custom functions), served by `tarifa serve`.
// Generated from the functions' metadata: do not edit.
const TARIFA_CALL_PATH = %(call_path)s;
const TARIFA_XLWINGS_VERSION = %(version)s;
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

function tarifaError(message) {
  return new CustomFunctions.Error(CustomFunctions.ErrorCode.invalidValue,
                                   String(message).slice(0, 250));
}

async function tarifaCall(funcName, args, invocation) {
  await tarifaReady;
  const body = {
    client: "Office.js",
    func_name: funcName,
    args: args.map((a) => (a === undefined ? null : a)),
    caller_address: `Office.js[${tarifaState.workbook}]${invocation.address}`,
    content_language: tarifaState.language,
    culture_info_name: tarifaState.culture,
    date_format: tarifaState.dateFormat,
    session_id: tarifaState.session,
    version: TARIFA_XLWINGS_VERSION,
    runtime: tarifaState.runtime,
  };
  let response;
  try {
    response = await fetch(window.location.origin + TARIFA_CALL_PATH, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
  } catch (e) {
    throw tarifaError(`Tarifa server not reachable: ${e}`);
  }
  if (!response.ok) {
    throw tarifaError(await response.text());
  }
  return (await response.json()).result;
}
"""

# Excel passes the declared parameters (undefined when omitted) and, last, the invocation.
_CODE_FUNCTION = """
function %(js)s(...params) {
  return tarifaCall(%(name)s, params.slice(0, -1), params[params.length - 1]);
}
CustomFunctions.associate(%(id)s, %(js)s);
"""


def formula_prefix(namespace: str) -> str:
    """What precedes a function's name in a formula: ``TARIFA.`` or nothing."""
    return f"{namespace}." if namespace else ""


def functions_code(functions: Iterable[tuple[str, str]], call_path: str,
                   xlwings_version: str) -> str:
    """The JavaScript that registers each function, given as (metadata id, Python name): Excel
    calls it by id, the server by the Python name (xlwings: id = name in upper case)."""
    parts = [_CODE_HEAD % {"call_path": json.dumps(call_path),
                           "version": json.dumps(xlwings_version)}]
    for function_id, python_name in functions:
        js = "tarifa_" + re.sub(r"\W", "_", function_id)
        parts.append(_CODE_FUNCTION % {"js": js, "name": json.dumps(python_name),
                                       "id": json.dumps(function_id)})
    return "".join(parts)


def taskpane_html(namespace: str, meta: dict, code_path: str) -> str:
    """The add-in's page: Excel runs the custom functions in it (shared runtime)."""
    prefix = html.escape(formula_prefix(namespace))
    names = "".join(f"<li><code>={prefix}{html.escape(f['name'])}</code> "
                    f"{html.escape(f['description'])}</li>"
                    for f in meta["functions"] if not f["name"].endswith("_CHECK"))
    return f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Tarifa</title>
  <script src="{OFFICE_JS}"></script>
  <script src="{html.escape(code_path)}"></script>
  <style>body {{ font-family: Segoe UI, sans-serif; font-size: 13px; margin: 12px; }}
  code {{ color: #1f4e79; }}</style>
</head>
<body>
  <h3>Tarifa</h3>
  <p>{len(meta["functions"])} worksheet functions, typed as
  <code>={prefix}NAME(...)</code>. Every function <code>F</code> has a
  companion <code>F_CHECK</code> that says why a cell is an error.</p>
  <ul>{names}</ul>
</body>
</html>
"""


def index_html(namespace: str, meta: dict) -> str:
    return (f"<!doctype html><title>Tarifa</title><h3>Tarifa on xlwings Server</h3>"
            f"<p>{len(meta['functions'])} functions, typed as "
            f"={html.escape(formula_prefix(namespace))}NAME(...). "
            f"<a href='/manifest.xml'>manifest.xml</a> &middot; <a href='/taskpane'>task pane"
            f"</a> &middot; <a href='/xlwings/custom-functions-meta'>metadata</a></p>")


def manifest_xml(settings: Settings) -> str:
    """The add-in manifest (XML, add-in only manifest) with a shared runtime: the task pane
    page hosts the custom functions; their metadata and code come from the server."""
    base = settings.public_url()

    def url(path: str) -> str:
        return quoteattr(base + path)

    name = quoteattr(f"Tarifa ({settings.namespace})" if settings.namespace else "Tarifa")
    code_url, meta_url = url(CODE_PATH), url(META_PATH)
    prefix = formula_prefix(settings.namespace)
    # Without a namespace the functions are typed =MSIGN_OVERAGE(...) (Office: optional).
    namespace_ref, namespace_string = "", ""
    if settings.namespace:
        namespace_ref = '\n            <Namespace resid="Tarifa.Functions.Namespace" />'
        namespace_string = ('\n        <bt:String id="Tarifa.Functions.Namespace" '
                            f'DefaultValue={quoteattr(settings.namespace)} />')
    return f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<!-- Tarifa's worksheet functions via xlwings Server. Generated by `tarifa serve`:
     sideload this file into Excel (docs/runtimes.md). Formulas: ={prefix}NAME(...) -->
<OfficeApp xmlns="http://schemas.microsoft.com/office/appforoffice/1.1"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xmlns:bt="http://schemas.microsoft.com/office/officeappbasictypes/1.0"
  xmlns:ov="http://schemas.microsoft.com/office/taskpaneappversionoverrides"
  xsi:type="TaskPaneApp">
  <Id>{settings.addin_id()}</Id>
  <Version>1.0.0.0</Version>
  <ProviderName>Tarifa</ProviderName>
  <DefaultLocale>en-US</DefaultLocale>
  <DisplayName DefaultValue={name} />
  <Description DefaultValue="Prices usage under the mSign, Tresorit eSign and NENSI price lists." />
  <IconUrl DefaultValue={url("/icon-32.png")} />
  <HighResolutionIconUrl DefaultValue={url("/icon-64.png")} />
  <SupportUrl DefaultValue={url("/")} />
  <AppDomains>
    <AppDomain>{html.escape(base)}</AppDomain>
  </AppDomains>
  <Hosts>
    <Host Name="Workbook" />
  </Hosts>
  <Requirements>
    <Sets DefaultMinVersion="1.1">
      <Set Name="SharedRuntime" MinVersion="1.1" />
    </Sets>
  </Requirements>
  <DefaultSettings>
    <SourceLocation DefaultValue={url("/taskpane")} />
  </DefaultSettings>
  <Permissions>ReadWriteDocument</Permissions>
  <VersionOverrides xmlns="http://schemas.microsoft.com/office/taskpaneappversionoverrides"
    xsi:type="VersionOverridesV1_0">
    <Hosts>
      <Host xsi:type="Workbook">
        <Runtimes>
          <Runtime resid="Tarifa.Taskpane.Url" lifetime="long" />
        </Runtimes>
        <AllFormFactors>
          <ExtensionPoint xsi:type="CustomFunctions">
            <Script>
              <SourceLocation resid="Tarifa.Functions.Script.Url" />
            </Script>
            <Page>
              <SourceLocation resid="Tarifa.Taskpane.Url" />
            </Page>
            <Metadata>
              <SourceLocation resid="Tarifa.Functions.Metadata.Url" />
            </Metadata>{namespace_ref}
          </ExtensionPoint>
        </AllFormFactors>
        <DesktopFormFactor>
          <FunctionFile resid="Tarifa.Taskpane.Url" />
          <ExtensionPoint xsi:type="PrimaryCommandSurface">
            <OfficeTab id="TabHome">
              <Group id="Tarifa.Group">
                <Label resid="Tarifa.Group.Label" />
                <Icon>
                  <bt:Image size="16" resid="Tarifa.Icon.16" />
                  <bt:Image size="32" resid="Tarifa.Icon.32" />
                  <bt:Image size="80" resid="Tarifa.Icon.80" />
                </Icon>
                <Control xsi:type="Button" id="Tarifa.TaskpaneButton">
                  <Label resid="Tarifa.TaskpaneButton.Label" />
                  <Supertip>
                    <Title resid="Tarifa.TaskpaneButton.Label" />
                    <Description resid="Tarifa.TaskpaneButton.Tooltip" />
                  </Supertip>
                  <Icon>
                    <bt:Image size="16" resid="Tarifa.Icon.16" />
                    <bt:Image size="32" resid="Tarifa.Icon.32" />
                    <bt:Image size="80" resid="Tarifa.Icon.80" />
                  </Icon>
                  <Action xsi:type="ShowTaskpane">
                    <TaskpaneId>Tarifa.Taskpane</TaskpaneId>
                    <SourceLocation resid="Tarifa.Taskpane.Url" />
                  </Action>
                </Control>
              </Group>
            </OfficeTab>
          </ExtensionPoint>
        </DesktopFormFactor>
      </Host>
    </Hosts>
    <Resources>
      <bt:Images>
        <bt:Image id="Tarifa.Icon.16" DefaultValue={url("/icon-16.png")} />
        <bt:Image id="Tarifa.Icon.32" DefaultValue={url("/icon-32.png")} />
        <bt:Image id="Tarifa.Icon.80" DefaultValue={url("/icon-80.png")} />
      </bt:Images>
      <bt:Urls>
        <bt:Url id="Tarifa.Taskpane.Url" DefaultValue={url("/taskpane")} />
        <bt:Url id="Tarifa.Functions.Script.Url" DefaultValue={code_url} />
        <bt:Url id="Tarifa.Functions.Metadata.Url" DefaultValue={meta_url} />
      </bt:Urls>
      <bt:ShortStrings>{namespace_string}
        <bt:String id="Tarifa.Group.Label" DefaultValue="Tarifa" />
        <bt:String id="Tarifa.TaskpaneButton.Label" DefaultValue="Tarifa" />
      </bt:ShortStrings>
      <bt:LongStrings>
        <bt:String id="Tarifa.TaskpaneButton.Tooltip" DefaultValue="Show Tarifa's functions" />
      </bt:LongStrings>
    </Resources>
  </VersionOverrides>
</OfficeApp>
"""


def icon_png(size: int, rgb: tuple[int, int, int] = TARIFA_BLUE) -> bytes:
    """A plain square PNG icon of ``size`` pixels (RGB, 8 bits)."""
    row = b"\x00" + bytes(rgb) * size  # filter byte 0 + pixels
    raw = row * size

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
