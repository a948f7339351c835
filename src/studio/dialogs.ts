// Dialogs of the studio: forms whose values are read back when the user accepts.
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';
import { h } from '../common/dom';

class FormBody extends Widget implements Dialog.IBodyWidget<Record<string, string>> {
  constructor(private fields: { name: string; label: string; placeholder?: string }[]) {
    super({ node: h('form', { className: 'mlws-form' }) });
    for (const f of fields) {
      this.node.append(h('label', null, f.label,
        h('input', { className: 'jp-mod-styled mlws-input', name: f.name,
          placeholder: f.placeholder ?? '', 'aria-label': f.label })));
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
  title: string, fields: { name: string; label: string; placeholder?: string }[], ok = 'Create'
): Promise<Record<string, string> | null> {
  const result = await showDialog({
    title, body: new FormBody(fields),
    buttons: [Dialog.cancelButton(), Dialog.okButton({ label: ok })],
    focusNodeSelector: 'input'
  });
  return result.button.accept ? result.value : null;
}

export async function confirmDialog(title: string, message: string, ok = 'Delete'):
Promise<boolean> {
  const result = await showDialog({
    title, body: message,
    buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: ok })]
  });
  return result.button.accept;
}
