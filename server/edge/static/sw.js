// The status page's service worker on the public edge: shows a "your turn" push. The payload
// is {"number", "counter"} and nothing more; a counter means "called", none means "near".

self.addEventListener("push", (event) => {
  let notice = {};
  try {
    notice = event.data ? event.data.json() : {};
  } catch {
    return;
  }
  const number = String(notice.number ?? "");
  const body = notice.counter
    ? `${String(notice.counter).replaceAll("–", "〜")}番窓口へお越しください / Please go to counter ${notice.counter}`
    : "まもなくお呼びします。窓口の近くでお待ちください / You will be called soon";
  event.waitUntil(
    self.registration.showNotification(number, { body, tag: `madoguchi-${number}`, renotify: true }),
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  event.waitUntil(
    self.clients.matchAll({ type: "window" }).then((windows) => (windows[0] ? windows[0].focus() : undefined)),
  );
});
