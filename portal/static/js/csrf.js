// The CSRF token the server set as a cookie, for requests made from JavaScript (sent as the x-csrftoken header).
export function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}
