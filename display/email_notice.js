// "Your turn is near" by e-mail, on the status page (server/notices/): the holder gives an
// address; the city hall writes when a few people are ahead and when the number is called, with
// the number and the window only, and erases the address when the visit ends. Works the same on
// the city hall's own server and through the public edge (which forwards the request).
// Self-contained: it follows the page's language (the <html lang> the page sets).

const pathBase = location.pathname.slice(0, location.pathname.lastIndexOf("/t/"));
const statusToken = location.pathname.split("/").filter(Boolean).pop();
const endpoint = `${pathBase}/api/v1/tickets/${encodeURIComponent(statusToken)}/email-notice`;

const FINISHED = new Set(["done", "no_show", "cancelled"]);

// Keyed by the html lang the status page sets for each kiosk language.
const TEXT = {
  ja: {
    title: "メールでお知らせ",
    text: (n) => `順番が近づいたとき(前に${n}人)と、呼ばれたときにメールでお知らせします。メールアドレスは手続きが終わると削除します。`,
    label: "メールアドレス",
    submit: "申し込む",
    done: (address) => `${address} にお知らせします。`,
    stop: "お知らせをやめる",
    stopped: "お知らせを取り消しました。メールアドレスは削除しました。",
    invalid: "メールアドレスの形式をご確認ください(例: name@example.jp)。",
    tooMany: "メールアドレスの変更は3回までです。",
    ended: "この番号札の手続きは終わっています。",
    failed: "申し込めませんでした。しばらくしてからもう一度お試しください。",
  },
  "ja-x-easy": {
    title: "メールで しらせます",
    text: (n) => `じゅんばんが ちかく なったとき(まえに ${n}にん)と、よばれたときに メールを おくります。てつづきが おわったら メールアドレスを けします。`,
    label: "メールアドレス",
    submit: "もうしこむ",
    done: (address) => `${address} に メールを おくります。`,
    stop: "メールを やめる",
    stopped: "メールを やめました。メールアドレスを けしました。",
    invalid: "メールアドレスを もういちど みて ください(れい: name@example.jp)。",
    tooMany: "メールアドレスは 3かいまで かえられます。",
    ended: "この ばんごうの てつづきは おわりました。",
    failed: "もうしこめませんでした。すこし まってから もういちど して ください。",
  },
  en: {
    title: "Notice by e-mail",
    text: (n) => `We e-mail you when your turn is near (${n} people ahead) and when your number is called. Your address is deleted when your visit ends.`,
    label: "E-mail address",
    submit: "Notify me",
    done: (address) => `We will write to ${address}.`,
    stop: "Stop the notice",
    stopped: "The notice is stopped and your address deleted.",
    invalid: "Check the e-mail address (for example name@example.jp).",
    tooMany: "The address can be changed 3 times at most.",
    ended: "This visit has ended.",
    failed: "That did not work. Please try again in a moment.",
  },
  "zh-Hans": {
    title: "电子邮件通知",
    text: (n) => `快轮到您时（前面还有${n}位）以及叫号时，我们会发送电子邮件通知您。办理结束后，您的邮件地址将被删除。`,
    label: "电子邮件地址",
    submit: "申请通知",
    done: (address) => `我们将通知 ${address}。`,
    stop: "取消通知",
    stopped: "已取消通知，并已删除您的邮件地址。",
    invalid: "请确认电子邮件地址的格式（例：name@example.jp）。",
    tooMany: "邮件地址最多可以更改3次。",
    ended: "此号码的办理已经结束。",
    failed: "申请失败。请稍后再试。",
  },
  "zh-Hant": {
    title: "電子郵件通知",
    text: (n) => `快輪到您時（前面還有${n}位）以及叫號時，我們會寄送電子郵件通知您。辦理結束後，您的郵件地址將被刪除。`,
    label: "電子郵件地址",
    submit: "申請通知",
    done: (address) => `我們將通知 ${address}。`,
    stop: "取消通知",
    stopped: "已取消通知，並已刪除您的郵件地址。",
    invalid: "請確認電子郵件地址的格式（例：name@example.jp）。",
    tooMany: "郵件地址最多可以變更3次。",
    ended: "此號碼的辦理已經結束。",
    failed: "申請失敗。請稍後再試。",
  },
  ko: {
    title: "이메일 알림",
    text: (n) => `차례가 가까워졌을 때(앞에 ${n}명)와 번호가 호출될 때 이메일로 알려 드립니다. 이메일 주소는 용무가 끝나면 삭제됩니다.`,
    label: "이메일 주소",
    submit: "신청하기",
    done: (address) => `${address}(으)로 알려 드립니다.`,
    stop: "알림 그만 받기",
    stopped: "알림을 취소하고 이메일 주소를 삭제했습니다.",
    invalid: "이메일 주소 형식을 확인해 주십시오(예: name@example.jp).",
    tooMany: "이메일 주소는 3번까지 변경할 수 있습니다.",
    ended: "이 번호표의 용무는 끝났습니다.",
    failed: "신청하지 못했습니다. 잠시 후 다시 시도해 주십시오.",
  },
  vi: {
    title: "Thông báo qua e-mail",
    text: (n) => `Chúng tôi gửi e-mail khi sắp đến lượt bạn (còn ${n} người phía trước) và khi số của bạn được gọi. Địa chỉ e-mail sẽ bị xóa khi thủ tục kết thúc.`,
    label: "Địa chỉ e-mail",
    submit: "Đăng ký",
    done: (address) => `Chúng tôi sẽ gửi thông báo tới ${address}.`,
    stop: "Hủy thông báo",
    stopped: "Đã hủy thông báo và xóa địa chỉ e-mail.",
    invalid: "Vui lòng kiểm tra địa chỉ e-mail (ví dụ: name@example.jp).",
    tooMany: "Chỉ có thể đổi địa chỉ e-mail tối đa 3 lần.",
    ended: "Thủ tục của số này đã kết thúc.",
    failed: "Không đăng ký được. Vui lòng thử lại sau ít phút.",
  },
  pt: {
    title: "Aviso por e-mail",
    text: (n) => `Enviamos um e-mail quando sua vez estiver chegando (${n} pessoas na frente) e quando seu número for chamado. Seu e-mail é apagado quando o atendimento terminar.`,
    label: "Endereço de e-mail",
    submit: "Quero ser avisado",
    done: (address) => `Vamos avisar em ${address}.`,
    stop: "Cancelar o aviso",
    stopped: "O aviso foi cancelado e seu e-mail apagado.",
    invalid: "Verifique o endereço de e-mail (por exemplo name@example.jp).",
    tooMany: "O endereço pode ser alterado no máximo 3 vezes.",
    ended: "O atendimento desta senha já terminou.",
    failed: "Não foi possível. Tente novamente em instantes.",
  },
  tl: {
    title: "Abiso sa e-mail",
    text: (n) => `Padadalhan ka namin ng e-mail kapag malapit na ang iyong turno (${n} tao bago ka) at kapag tinawag na ang iyong numero. Buburahin ang iyong e-mail kapag tapos na ang iyong transaksyon.`,
    label: "E-mail address",
    submit: "Abisuhan ako",
    done: (address) => `Magpapadala kami sa ${address}.`,
    stop: "Itigil ang abiso",
    stopped: "Itinigil ang abiso at binura ang iyong e-mail.",
    invalid: "Pakitingnan ang e-mail address (halimbawa: name@example.jp).",
    tooMany: "Hanggang 3 beses lang mapapalitan ang e-mail address.",
    ended: "Tapos na ang transaksyon ng numerong ito.",
    failed: "Hindi ito natuloy. Pakisubukang muli mamaya.",
  },
  id: {
    title: "Pemberitahuan lewat e-mail",
    text: (n) => `Kami mengirim e-mail saat giliran Anda sudah dekat (${n} orang di depan) dan saat nomor Anda dipanggil. Alamat e-mail dihapus setelah urusan Anda selesai.`,
    label: "Alamat e-mail",
    submit: "Beri tahu saya",
    done: (address) => `Kami akan mengirim ke ${address}.`,
    stop: "Hentikan pemberitahuan",
    stopped: "Pemberitahuan dihentikan dan alamat e-mail dihapus.",
    invalid: "Periksa alamat e-mail (contoh: name@example.jp).",
    tooMany: "Alamat e-mail dapat diubah paling banyak 3 kali.",
    ended: "Urusan untuk nomor ini sudah selesai.",
    failed: "Gagal mendaftar. Silakan coba lagi sebentar lagi.",
  },
  ne: {
    title: "इमेलबाट सूचना",
    text: (n) => `तपाईंको पालो नजिकिँदा (अगाडि ${n} जना) र तपाईंको नम्बर बोलाइँदा हामी इमेल पठाउँछौं। काम सकिएपछि तपाईंको इमेल ठेगाना मेटाइन्छ।`,
    label: "इमेल ठेगाना",
    submit: "सूचना माग्नुहोस्",
    done: (address) => `हामी ${address} मा सूचना पठाउनेछौं।`,
    stop: "सूचना बन्द गर्नुहोस्",
    stopped: "सूचना बन्द गरियो र इमेल ठेगाना मेटाइयो।",
    invalid: "कृपया इमेल ठेगाना जाँच गर्नुहोस् (उदाहरण: name@example.jp)।",
    tooMany: "इमेल ठेगाना बढीमा ३ पटक मात्र बदल्न सकिन्छ।",
    ended: "यो नम्बरको काम सकिइसकेको छ।",
    failed: "दर्ता हुन सकेन। केही बेरपछि फेरि प्रयास गर्नुहोस्।",
  },
};

const ERRORS = { invalid_email: "invalid", notice_changes_exceeded: "tooMany", ticket_finished: "ended" };
// How many people ahead the city hall notifies at (it says so when one signs up).
let notifyAhead = 3;
let result = null; // what the last action said: [key, argument]

let ticketLanguage = null;

function words() {
  const lang = document.documentElement.lang;
  // やさしい日本語 is lang="ja" on the page: the page's own choice (or the ticket's) tells it apart.
  const chosen = sessionStorage.getItem("madoguchi.language") ?? ticketLanguage;
  if (lang === "ja" && chosen === "ja_easy") return TEXT["ja-x-easy"];
  return TEXT[lang] ?? TEXT[lang.split("-")[0]] ?? TEXT.ja;
}

function build() {
  const section = document.createElement("section");
  section.id = "email-notice";
  section.className = "email-notice";
  section.hidden = true;
  section.innerHTML = `
    <h2 id="email-notice-title"></h2>
    <p id="email-notice-text" class="email-notice-text"></p>
    <form id="email-notice-form" novalidate>
      <label id="email-notice-label" for="email-notice-address"></label>
      <div class="email-notice-row">
        <input id="email-notice-address" type="email" name="email" autocomplete="email" inputmode="email"
               maxlength="320" required>
        <button id="email-notice-submit" type="submit"></button>
      </div>
    </form>
    <p id="email-notice-result" class="email-notice-result" role="status" aria-live="polite"></p>
    <button id="email-notice-stop" class="email-notice-stop" type="button" hidden></button>`;
  const anchor = document.getElementById("notify");
  (anchor?.parentElement ?? document.querySelector("main") ?? document.body).insertBefore(
    section,
    anchor?.nextSibling ?? null,
  );
  return section;
}

function render(section) {
  const text = words();
  section.querySelector("#email-notice-title").textContent = text.title;
  section.querySelector("#email-notice-text").textContent = text.text(notifyAhead);
  section.querySelector("#email-notice-label").textContent = text.label;
  section.querySelector("#email-notice-submit").textContent = text.submit;
  section.querySelector("#email-notice-stop").textContent = text.stop;
  const said = section.querySelector("#email-notice-result");
  said.textContent = result ? (typeof text[result[0]] === "function" ? text[result[0]](result[1]) : text[result[0]]) : "";
  said.dataset.kind = result && ["invalid", "tooMany", "ended", "failed"].includes(result[0]) ? "error" : "ok";
}

async function send(section, method, body) {
  try {
    const response = await fetch(endpoint, {
      method,
      headers: body ? { "Content-Type": "application/json" } : {},
      credentials: "omit",
      body: body ? JSON.stringify(body) : undefined,
    });
    if (response.ok) return response.status === 204 ? {} : await response.json();
    const problem = await response.json().catch(() => ({}));
    result = [ERRORS[problem.code] ?? "failed"];
  } catch {
    result = ["failed"];
  }
  render(section);
  return null;
}

async function start() {
  const section = build();
  const form = section.querySelector("#email-notice-form");
  const stop = section.querySelector("#email-notice-stop");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const address = section.querySelector("#email-notice-address").value.trim();
    if (!address.includes("@")) {
      result = ["invalid"];
      render(section);
      return;
    }
    const answer = await send(section, "POST", { email: address });
    if (!answer) return;
    notifyAhead = answer.notify_ahead;
    result = ["done", answer.email];
    section.querySelector("#email-notice-address").value = "";
    stop.hidden = false;
    render(section);
  });
  stop.addEventListener("click", async () => {
    if (!(await send(section, "DELETE"))) return;
    result = ["stopped"];
    stop.hidden = true;
    render(section);
  });
  new MutationObserver(() => render(section)).observe(document.documentElement, {
    attributes: true,
    attributeFilter: ["lang"],
  });
  render(section);
  // Offered while the visit goes on; a finished ticket has nothing left to announce.
  try {
    const response = await fetch(`${pathBase}/api/v1/tickets/${encodeURIComponent(statusToken)}`, { credentials: "omit" });
    if (response.ok) {
      const ticket = await response.json();
      ticketLanguage = ticket.language;
      section.hidden = FINISHED.has(ticket.status);
      render(section);
    }
  } catch {
    // The page itself says it is offline; the form stays hidden.
  }
}

start();
