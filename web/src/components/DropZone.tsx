import type { ComponentChildren } from 'preact';
import { useId, useState } from 'preact/hooks';

/**
 * A drop target for files that is also a labelled file input, so keyboard and
 * screen-reader users choose files the ordinary way.
 */
export function DropZone(props: {
  label: string;
  help?: string;
  multiple?: boolean;
  accept?: string;
  onFiles: (files: File[]) => void;
  children?: ComponentChildren;
}) {
  const id = useId();
  const [active, setActive] = useState(false);
  const take = (list: FileList | null | undefined) => {
    const files = [...(list ?? [])];
    if (files.length > 0) props.onFiles(props.multiple ? files : files.slice(0, 1));
  };
  return (
    // A group around the label and input: dropping is the pointer shortcut for choosing.
    <fieldset
      class={active ? 'drop-zone active' : 'drop-zone'}
      data-testid="drop-zone"
      onDragEnter={(event) => {
        event.preventDefault();
        setActive(true);
      }}
      onDragOver={(event) => {
        event.preventDefault();
        if (event.dataTransfer) event.dataTransfer.dropEffect = 'copy';
      }}
      onDragLeave={() => setActive(false)}
      onDrop={(event) => {
        event.preventDefault();
        setActive(false);
        take(event.dataTransfer?.files);
      }}
    >
      <label for={id}>{props.label}</label>
      <input
        id={id}
        type="file"
        multiple={props.multiple}
        accept={props.accept}
        aria-describedby={props.help ? `${id}-help` : undefined}
        onChange={(event) => {
          take(event.currentTarget.files);
          // The same file chosen again is a new request.
          event.currentTarget.value = '';
        }}
      />
      {props.help && (
        <p class="hint" id={`${id}-help`}>
          {props.help}
        </p>
      )}
      {props.children}
    </fieldset>
  );
}
