// Dialogs of the studio: forms whose values are read back when the user accepts; a rejected
// submission opens the form again with what was typed and the server's message.
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';
import { errorMessage, h } from '../common/dom';

export interface FormField {
  name: string;
  label: string;
  placeholder?: string;
}

class FormBody extends Widget implements Dialog.IBodyWidget<Record<string, string>> {
  constructor(private fields: FormField[], values: Record<string, string>, error: string) {
    super({ node: h('form', { className: 'mlws-form' }) });
    for (const f of fields) {
      this.node.append(h('label', null, f.label,
        h('input', { className: 'jp-mod-styled mlws-input', name: f.name,
          placeholder: f.placeholder ?? '', 'aria-label': f.label,
          value: values[f.name] ?? '' })));
    }
    if (error) {
      this.node.append(h('p', { className: 'mlws-error mlws-form-error', role: 'alert' }, error));
    }
  }

  getValue(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const f of this.fields) {
      out[f.name] = (this.node.querySelector(`input[name="${f.name}"]`) as HTMLInputElement)
        .value.trim();
    }
    return out;
  }

  protected onAfterAttach(): void {
    (this.node.querySelector('input') as HTMLInputElement | null)?.focus();
  }
}

/** A form dialog; null when cancelled. */
export async function formDialog(
  title: string, fields: FormField[], ok = 'Create', values: Record<string, string> = {},
  error = ''
): Promise<Record<string, string> | null> {
  const result = await showDialog({
    title, body: new FormBody(fields, values, error),
    buttons: [Dialog.cancelButton(), Dialog.okButton({ label: ok })],
    focusNodeSelector: 'input'
  });
  return result.button.accept ? result.value : null;
}

/** Ask until `submit` succeeds or the user cancels; its error is shown in the form. */
export async function formFlow<T>(
  title: string, fields: FormField[], ok: string,
  submit: (values: Record<string, string>) => Promise<T>
): Promise<T | null> {
  let values: Record<string, string> = {};
  let error = '';
  for (;;) {
    const answer = await formDialog(title, fields, ok, values, error);
    if (!answer) {
      return null;
    }
    values = answer;
    try {
      return await submit(answer);
    } catch (err) {
      error = errorMessage(err);
    }
  }
}

export async function confirmDialog(title: string, message: string, ok = 'Delete'):
Promise<boolean> {
  const result = await showDialog({
    title, body: message,
    buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: ok })]
  });
  return result.button.accept;
}
