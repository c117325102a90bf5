/* matrixpipe: the header's door to Pagefind (`search: pagefind`). Pagefind's UI asks for every
   filter's index as soon as the box is focused, before the first result: at 10,000 studies
   that alone is a fifth of a megabyte. This module passes everything through to the real
   Pagefind (../../../pagefind/pagefind.js, which finds its index from its own address) but
   holds the filters back until a first search has answered, so a reader's first result comes
   within the budget, and the filters follow it. */
import * as pagefind from "../../../pagefind/pagefind.js";

let answered;
const firstSearch = new Promise((resolve) => { answered = resolve; });

export const options = pagefind.options;
export const init = pagefind.init;
export const destroy = pagefind.destroy;
export const preload = pagefind.preload;
export const mergeIndex = pagefind.mergeIndex;
export const createInstance = pagefind.createInstance;

/* The filters are let go once a first result's fragment has arrived (or a search found
   nothing): by then the reader sees a result. */
function releaseAfterFirstResult(response) {
  const results = response && response.results;
  if (!results || results.length === 0) {
    answered();
    return response;
  }
  for (const result of results) {
    const data = result.data;
    result.data = async () => {
      try {
        return await data();
      } finally {
        answered();
      }
    };
  }
  return response;
}

export async function search(...args) {
  try {
    return releaseAfterFirstResult(await pagefind.search(...args));
  } catch (error) {
    answered();
    throw error;
  }
}

export async function debouncedSearch(...args) {
  try {
    return releaseAfterFirstResult(await pagefind.debouncedSearch(...args));
  } catch (error) {
    answered();
    throw error;
  }
}

export async function filters() {
  await firstSearch;
  return pagefind.filters();
}
