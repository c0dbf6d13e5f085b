/** Directory inside a layout where ferry stages blobs, uploads and index writes before renaming them into place (names: util/temp-name.ts). */
export const TEMP_DIR_NAME = '.ferry-tmp';
