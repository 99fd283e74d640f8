// The edge's one addition to the status page: "your turn is near" by Web Push, through the
// browser's push service, so the notice arrives with the page closed. It rides on the page's own
// notify button; where the browser has no Web Push, that button keeps its in-page notification.

const pathBase = location.pathname.slice(0, location.pathname.lastIndexOf("/t/"));
const statusToken = location.pathname.split("/").filter(Boolean).pop();

function keyBytes(base64url) {
  const text = atob(base64url.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

async function subscribe() {
  const keyResponse = await fetch(`${pathBase}/api/v1/push/key`, { credentials: "omit" });
  if (!keyResponse.ok) return;
  const { public_key: publicKey } = await keyResponse.json();
  const registration = await navigator.serviceWorker.register(`${pathBase}/sw.js`, { scope: `${pathBase}/` });
  await navigator.serviceWorker.ready;
  const subscription = await registration.pushManager.subscribe({
    userVisibleOnly: true,
    applicationServerKey: keyBytes(publicKey),
  });
  await fetch(`${pathBase}/api/v1/tickets/${statusToken}/push`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    credentials: "omit",
    body: JSON.stringify(subscription.toJSON()),
  });
}

if ("serviceWorker" in navigator && "PushManager" in window && "Notification" in window) {
  document.getElementById("notify")?.addEventListener("click", async () => {
    if ((await Notification.requestPermission()) !== "granted") return;
    try {
      await subscribe();
    } catch (error) {
      console.warn("Web Push unavailable", error); // the in-page notification still works
    }
  });
}
