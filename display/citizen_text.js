// What citizens read on the status page, the lobby board and the survey, in every kiosk language:
// one place for each string. ja and en are written out; the other languages as templates ({n}
// people or minutes, {c} counters), turned into the same functions below.

import { japaneseWindows } from "./live.js";

// Windows come as 「7・8・22」; other languages list them with their own separator ("7, 8, 22").
const listed = (c, join) => String(c).replaceAll("・", join);

// The status page's words (display/status.js); the board and the survey reuse some.
export const TEXT = {
  ja: {
    title: "番号札の状況",
    switchTo: "English",
    number: "あなたの番号",
    ahead: "前にお待ちの方",
    wait: "待ち時間の目安",
    people: (n) => `${n}人`,
    minutes: (n) => (n > 0 ? `約${n}分` : "まもなく"),
    stops: "本日の手続きの順番",
    status: {
      waiting: "お待ちください",
      called: "お呼びしています",
      serving: "手続き中",
      processing: "書類を準備しています",
      done: "すべての手続きが終わりました",
      no_show: "お呼びしましたが、お越しを確認できませんでした",
      cancelled: "この番号札は取り消されました",
    },
    window: (c) => (c ? `${japaneseWindows(c)}番窓口` : "窓口"),
    goTo: (c) => (c ? `${japaneseWindows(c)}番窓口へお越しください` : "窓口へお越しください"),
    waitNear: (c) => `${japaneseWindows(c)}番窓口付近でお待ちください`,
    waitCall: "お呼びするまでお待ちください",
    servedAt: (c) => (c ? `${japaneseWindows(c)}番窓口で手続き中です` : "窓口で手続き中です"),
    preparing: "お呼びするまで、番号札をお持ちになってお待ちください。準備ができたら、この画面と館内の表示でお知らせします。",
    noShow: "お近くの職員にこの画面か番号札をお見せください。続きの手続きをご案内します。",
    thanks: "ご来庁ありがとうございました。",
    cancelled: "ご不明な点は、お近くの職員にお尋ねください。",
    soon: (n) => (n === 0 ? "次にお呼びします。窓口の近くでお待ちください" : `まもなくお呼びします(あと${n}人)`),
    calledLead: "お越しください",
    backOffice: "書類の準備",
    join: "・",
    visitState: { done: "済み", current: "ただいま", upcoming: "", missed: "職員へ" },
    preparingNow: "準備中",
    notify: "呼ばれたら通知を受け取る",
    live: "最新の状況を表示しています",
    offline: "再接続しています…",
    paused: "更新を一時停止しています(最後に受け取った状況を表示しています)",
    gone: "この番号札は見つかりません。番号札のQRコードをもう一度読み取ってください。",
  },
  en: {
    title: "Your ticket",
    switchTo: "日本語",
    number: "Your number",
    ahead: "People ahead",
    wait: "Estimated wait",
    people: (n) => `${n}`,
    minutes: (n) => (n > 0 ? `about ${n} min` : "soon"),
    stops: "Your route today",
    status: {
      waiting: "Please wait",
      called: "You are being called",
      serving: "Being served",
      processing: "We are preparing your documents",
      done: "All procedures are finished",
      no_show: "We called your number but could not find you",
      cancelled: "This ticket was cancelled",
    },
    window: (c) => (c ? (/[–・,]/.test(c) ? `Counters ${listed(c, ", ")}` : `Counter ${c}`) : "Counter"),
    goTo: (c) => (c ? `Please go to counter ${listed(c, ", ")}` : "Please go to the counter"),
    waitNear: (c) => `Please wait near ${/[–・,]/.test(c) ? "counters" : "counter"} ${listed(c, ", ")}`,
    waitCall: "Please wait until we call you",
    servedAt: (c) => (c ? `Being served at counter ${listed(c, ", ")}` : "Being served at the counter"),
    preparing: "Please keep your ticket and wait. We will call you on this page and on the lobby screens when it is ready.",
    noShow: "Please show this page or your ticket to a member of staff. They will help you continue.",
    thanks: "Thank you for your visit.",
    cancelled: "If you have any questions, please ask a member of staff.",
    soon: (n) => (n === 0 ? "You are next. Please wait near the counter" : `You will be called soon (${n} ahead)`),
    calledLead: "Please go to ",
    backOffice: "Preparing your documents",
    join: ", ",
    visitState: { done: "Done", current: "Now", upcoming: "", missed: "Ask staff" },
    preparingNow: "In progress",
    notify: "Notify me when I am called",
    live: "Showing live status",
    offline: "Reconnecting…",
    paused: "Updating paused (showing the last status received)",
    gone: "This ticket was not found. Please scan the QR code on your ticket again.",
  },
};

// The other kiosk languages, written as templates ({n} people or minutes, {c} counters).
const MORE = {
  ja_easy: {
    name: "やさしい にほんご", html: "ja", title: "ばんごうふだ", number: "あなたの ばんごう", ahead: "まえに まつ ひと", wait: "まつ じかん",
    people: "{n}にん", minutes: "{n}ぷん ぐらい", soonWord: "もうすぐ", stops: "きょう いく まどぐち",
    status: { waiting: "まって ください", called: "よんで います", serving: "てつづき ちゅう", processing: "しょるいを じゅんび して います", done: "てつづきは ぜんぶ おわりました", no_show: "よびましたが、いませんでした", cancelled: "この ばんごうふだは つかえません" },
    window: "{c}ばん まどぐち", windowAny: "まどぐち", goTo: "{c}ばん まどぐちに きて ください", goToAny: "まどぐちに きて ください",
    waitNear: "{c}ばん まどぐちの ちかくで まって ください", waitCall: "よぶまで まって ください", servedAt: "{c}ばん まどぐちで てつづき ちゅうです", servedAtAny: "まどぐちで てつづき ちゅうです",
    preparing: "ばんごうふだを もって、まって ください。じゅんびが できたら、この がめんと かべの がめんで しらせます。",
    noShow: "ちかくの しょくいんに この がめんか ばんごうふだを みせて ください。", thanks: "ありがとう ございました。", cancelled: "わからない ことは、しょくいんに きいて ください。",
    soonNext: "つぎに よびます。まどぐちの ちかくで まって ください", soonAhead: "もうすぐ よびます(あと {n}にん)", calledLead: "に きて ください", leadFirst: false,
    backOffice: "しょるいの じゅんび", join: "・", visitState: { done: "おわり", current: "いま", upcoming: "", missed: "しょくいんへ" }, preparingNow: "じゅんび ちゅう",
    notify: "よばれたら しらせる", live: "いまの ようすです", offline: "つなぎなおして います…", paused: "いまは あたらしく なりません(さいごの ようすです)",
    gone: "この ばんごうふだは ありません。QRコードを もういちど よんで ください。", fallbackNote: "ふつうの にほんごで かいています",
  },
  zh: {
    name: "简体中文", html: "zh-Hans", title: "号码牌状态", number: "您的号码", ahead: "前面等候人数", wait: "预计等候时间",
    people: "{n}人", minutes: "约{n}分钟", soonWord: "即将叫号", stops: "今天的办理顺序",
    status: { waiting: "请稍候", called: "正在叫您的号", serving: "正在办理", processing: "正在准备文件", done: "所有手续已办理完毕", no_show: "已叫号,但未确认到您", cancelled: "此号码牌已取消" },
    window: "{c}号窗口", windowAny: "窗口", goTo: "请前往{c}号窗口", goToAny: "请前往窗口",
    waitNear: "请在{c}号窗口附近等候", waitCall: "叫号前请稍候", servedAt: "正在{c}号窗口办理", servedAtAny: "正在窗口办理",
    preparing: "请持号码牌等候。准备好后,会在本页面和大厅屏幕上通知您。",
    noShow: "请向附近的工作人员出示本页面或号码牌,我们会为您安排后续手续。", thanks: "感谢您的来访。", cancelled: "如有疑问,请咨询附近的工作人员。",
    soonNext: "下一个就是您。请在窗口附近等候", soonAhead: "即将叫号(还有{n}人)", calledLead: "请前往", leadFirst: true,
    backOffice: "准备文件", join: "、", visitState: { done: "已完成", current: "当前", upcoming: "", missed: "请找工作人员" }, preparingNow: "准备中",
    notify: "叫号时通知我", live: "正在显示最新状态", offline: "正在重新连接…", paused: "暂停更新(显示最后收到的状态)",
    gone: "找不到此号码牌。请重新扫描号码牌上的二维码。", fallbackNote: "此项以英语显示",
  },
  zh_hant: {
    name: "繁體中文", html: "zh-Hant", title: "號碼牌狀態", number: "您的號碼", ahead: "前面等候人數", wait: "預計等候時間",
    people: "{n}人", minutes: "約{n}分鐘", soonWord: "即將叫號", stops: "今天的辦理順序",
    status: { waiting: "請稍候", called: "正在叫您的號", serving: "正在辦理", processing: "正在準備文件", done: "所有手續已辦理完畢", no_show: "已叫號,但未確認到您", cancelled: "此號碼牌已取消" },
    window: "{c}號窗口", windowAny: "窗口", goTo: "請前往{c}號窗口", goToAny: "請前往窗口",
    waitNear: "請在{c}號窗口附近等候", waitCall: "叫號前請稍候", servedAt: "正在{c}號窗口辦理", servedAtAny: "正在窗口辦理",
    preparing: "請持號碼牌等候。準備好後,會在本頁面和大廳螢幕上通知您。",
    noShow: "請向附近的工作人員出示本頁面或號碼牌,我們會為您安排後續手續。", thanks: "感謝您的來訪。", cancelled: "如有疑問,請洽詢附近的工作人員。",
    soonNext: "下一位就是您。請在窗口附近等候", soonAhead: "即將叫號(還有{n}人)", calledLead: "請前往", leadFirst: true,
    backOffice: "準備文件", join: "、", visitState: { done: "已完成", current: "目前", upcoming: "", missed: "請找工作人員" }, preparingNow: "準備中",
    notify: "叫號時通知我", live: "正在顯示最新狀態", offline: "正在重新連線…", paused: "暫停更新(顯示最後收到的狀態)",
    gone: "找不到此號碼牌。請重新掃描號碼牌上的QR碼。", fallbackNote: "此項以英語顯示",
  },
  ko: {
    name: "한국어", html: "ko", title: "번호표 상태", number: "내 번호", ahead: "앞의 대기 인원", wait: "예상 대기 시간",
    people: "{n}명", minutes: "약 {n}분", soonWord: "곧 호출", stops: "오늘의 수속 순서",
    status: { waiting: "기다려 주십시오", called: "호출 중입니다", serving: "수속 중", processing: "서류를 준비하고 있습니다", done: "모든 수속이 끝났습니다", no_show: "호출했지만 확인하지 못했습니다", cancelled: "이 번호표는 취소되었습니다" },
    window: "{c}번 창구", windowAny: "창구", goTo: "{c}번 창구로 오십시오", goToAny: "창구로 오십시오",
    waitNear: "{c}번 창구 근처에서 기다려 주십시오", waitCall: "호출할 때까지 기다려 주십시오", servedAt: "{c}번 창구에서 수속 중입니다", servedAtAny: "창구에서 수속 중입니다",
    preparing: "번호표를 가지고 기다려 주십시오. 준비가 되면 이 화면과 대기실 화면으로 알려 드립니다.",
    noShow: "가까운 직원에게 이 화면이나 번호표를 보여 주십시오. 이어지는 수속을 안내해 드립니다.", thanks: "방문해 주셔서 감사합니다.", cancelled: "궁금한 점은 가까운 직원에게 문의해 주십시오.",
    soonNext: "다음 차례입니다. 창구 근처에서 기다려 주십시오", soonAhead: "곧 호출합니다(앞에 {n}명)", calledLead: "(으)로 오십시오", leadFirst: false,
    backOffice: "서류 준비", join: ", ", visitState: { done: "완료", current: "진행 중", upcoming: "", missed: "직원에게" }, preparingNow: "준비 중",
    notify: "호출되면 알림 받기", live: "최신 상태를 표시하고 있습니다", offline: "다시 연결하고 있습니다…", paused: "업데이트 일시 중지(마지막으로 받은 상태 표시)",
    gone: "이 번호표를 찾을 수 없습니다. 번호표의 QR 코드를 다시 읽어 주십시오.", fallbackNote: "이 항목은 영어로 표시됩니다",
  },
  vi: {
    name: "Tiếng Việt", html: "vi", title: "Phiếu số của bạn", number: "Số của quý vị", ahead: "Số người phía trước", wait: "Thời gian chờ dự kiến",
    people: "{n}", minutes: "khoảng {n} phút", soonWord: "sắp đến lượt", stops: "Thứ tự thủ tục hôm nay",
    status: { waiting: "Vui lòng chờ", called: "Đang gọi số của quý vị", serving: "Đang làm thủ tục", processing: "Đang chuẩn bị giấy tờ", done: "Đã xong mọi thủ tục", no_show: "Đã gọi số nhưng không thấy quý vị", cancelled: "Phiếu này đã bị hủy" },
    window: "Quầy {c}", windowAny: "Quầy", goTo: "Vui lòng đến quầy {c}", goToAny: "Vui lòng đến quầy",
    waitNear: "Vui lòng chờ gần quầy {c}", waitCall: "Vui lòng chờ đến khi được gọi", servedAt: "Đang làm thủ tục tại quầy {c}", servedAtAny: "Đang làm thủ tục tại quầy",
    preparing: "Vui lòng giữ phiếu và chờ. Khi xong, chúng tôi sẽ báo trên trang này và trên màn hình sảnh.",
    noShow: "Vui lòng cho nhân viên gần nhất xem trang này hoặc phiếu số. Nhân viên sẽ hướng dẫn tiếp.", thanks: "Cảm ơn quý vị đã đến.", cancelled: "Nếu có thắc mắc, vui lòng hỏi nhân viên gần nhất.",
    soonNext: "Quý vị là người tiếp theo. Vui lòng chờ gần quầy", soonAhead: "Sắp đến lượt (còn {n} người)", calledLead: "Vui lòng đến ", leadFirst: true,
    backOffice: "Chuẩn bị giấy tờ", join: ", ", visitState: { done: "Xong", current: "Hiện tại", upcoming: "", missed: "Hỏi nhân viên" }, preparingNow: "Đang chuẩn bị",
    notify: "Thông báo khi đến lượt", live: "Đang hiển thị trạng thái mới nhất", offline: "Đang kết nối lại…", paused: "Tạm dừng cập nhật (đang hiển thị trạng thái cuối cùng)",
    gone: "Không tìm thấy phiếu này. Vui lòng quét lại mã QR trên phiếu.", fallbackNote: "Mục này đang hiển thị bằng tiếng Anh",
  },
  pt: {
    name: "Português", html: "pt", title: "Sua senha", number: "Seu número", ahead: "Pessoas à frente", wait: "Espera estimada",
    people: "{n}", minutes: "cerca de {n} min", soonWord: "em breve", stops: "Seu roteiro hoje",
    status: { waiting: "Aguarde, por favor", called: "Seu número está sendo chamado", serving: "Em atendimento", processing: "Estamos preparando seus documentos", done: "Todos os trâmites foram concluídos", no_show: "Chamamos seu número, mas não o encontramos", cancelled: "Esta senha foi cancelada" },
    window: "Guichê {c}", windowAny: "Guichê", goTo: "Dirija-se ao guichê {c}", goToAny: "Dirija-se ao guichê",
    waitNear: "Aguarde perto do guichê {c}", waitCall: "Aguarde até ser chamado", servedAt: "Em atendimento no guichê {c}", servedAtAny: "Em atendimento no guichê",
    preparing: "Guarde sua senha e aguarde. Avisaremos nesta página e nas telas do saguão quando estiver pronto.",
    noShow: "Mostre esta página ou sua senha a um funcionário. Ele ajudará você a continuar.", thanks: "Obrigado pela visita.", cancelled: "Em caso de dúvida, pergunte a um funcionário.",
    soonNext: "Você é o próximo. Aguarde perto do guichê", soonAhead: "Você será chamado em breve ({n} à frente)", calledLead: "Dirija-se ao ", leadFirst: true,
    backOffice: "Preparação dos documentos", join: ", ", visitState: { done: "Concluído", current: "Agora", upcoming: "", missed: "Fale com um funcionário" }, preparingNow: "Em andamento",
    notify: "Avise-me quando for chamado", live: "Mostrando a situação atual", offline: "Reconectando…", paused: "Atualização pausada (mostrando a última situação recebida)",
    gone: "Esta senha não foi encontrada. Leia novamente o código QR da senha.", fallbackNote: "Este item é mostrado em inglês",
  },
  tl: {
    name: "Tagalog", html: "tl", title: "Ang inyong tiket", number: "Ang inyong numero", ahead: "Nauuna sa inyo", wait: "Tantiyang paghihintay",
    people: "{n}", minutes: "mga {n} minuto", soonWord: "malapit na", stops: "Ang inyong ruta ngayon",
    status: { waiting: "Maghintay po", called: "Tinatawag na kayo", serving: "Inaasikaso na", processing: "Inihahanda ang inyong mga dokumento", done: "Tapos na ang lahat ng proseso", no_show: "Tinawag namin ang inyong numero pero wala kayo", cancelled: "Kinansela ang tiket na ito" },
    window: "Counter {c}", windowAny: "Counter", goTo: "Pumunta po sa counter {c}", goToAny: "Pumunta po sa counter",
    waitNear: "Maghintay malapit sa counter {c}", waitCall: "Maghintay hanggang tawagin", servedAt: "Inaasikaso sa counter {c}", servedAtAny: "Inaasikaso sa counter",
    preparing: "Itago ang tiket at maghintay. Sasabihan namin kayo sa pahinang ito at sa mga screen sa lobby kapag handa na.",
    noShow: "Ipakita ang pahinang ito o ang tiket sa isang kawani. Tutulungan nila kayong magpatuloy.", thanks: "Salamat sa inyong pagbisita.", cancelled: "Kung may tanong, magtanong po sa kawani.",
    soonNext: "Kayo na ang susunod. Maghintay malapit sa counter", soonAhead: "Malapit na kayong tawagin ({n} ang nauuna)", calledLead: "Pumunta po sa ", leadFirst: true,
    backOffice: "Paghahanda ng mga dokumento", join: ", ", visitState: { done: "Tapos", current: "Ngayon", upcoming: "", missed: "Magtanong sa kawani" }, preparingNow: "Inihahanda",
    notify: "Abisuhan ako kapag tinawag", live: "Ipinapakita ang kasalukuyang katayuan", offline: "Kumokonekta muli…", paused: "Nakahinto ang pag-update (huling natanggap na katayuan)",
    gone: "Hindi nahanap ang tiket na ito. I-scan muli ang QR code sa tiket.", fallbackNote: "Ipinapakita ang item na ito sa Ingles",
  },
  id: {
    name: "Bahasa Indonesia", html: "id", title: "Tiket Anda", number: "Nomor Anda", ahead: "Antrean di depan", wait: "Perkiraan waktu tunggu",
    people: "{n}", minutes: "sekitar {n} menit", soonWord: "segera", stops: "Urutan loket hari ini",
    status: { waiting: "Mohon tunggu", called: "Nomor Anda sedang dipanggil", serving: "Sedang dilayani", processing: "Dokumen Anda sedang disiapkan", done: "Semua prosedur sudah selesai", no_show: "Nomor Anda sudah dipanggil, tetapi Anda tidak ada", cancelled: "Tiket ini dibatalkan" },
    window: "Loket {c}", windowAny: "Loket", goTo: "Silakan menuju loket {c}", goToAny: "Silakan menuju loket",
    waitNear: "Mohon tunggu di dekat loket {c}", waitCall: "Mohon tunggu sampai dipanggil", servedAt: "Sedang dilayani di loket {c}", servedAtAny: "Sedang dilayani di loket",
    preparing: "Simpan tiket Anda dan tunggu. Kami akan memberi tahu di halaman ini dan di layar lobi bila sudah siap.",
    noShow: "Tunjukkan halaman ini atau tiket Anda kepada petugas. Petugas akan membantu Anda melanjutkan.", thanks: "Terima kasih atas kunjungan Anda.", cancelled: "Jika ada pertanyaan, silakan bertanya kepada petugas.",
    soonNext: "Anda berikutnya. Mohon tunggu di dekat loket", soonAhead: "Anda segera dipanggil ({n} di depan)", calledLead: "Silakan menuju ", leadFirst: true,
    backOffice: "Penyiapan dokumen", join: ", ", visitState: { done: "Selesai", current: "Sekarang", upcoming: "", missed: "Tanya petugas" }, preparingNow: "Sedang disiapkan",
    notify: "Beri tahu saya saat dipanggil", live: "Menampilkan status terkini", offline: "Menyambungkan ulang…", paused: "Pembaruan dijeda (menampilkan status terakhir)",
    gone: "Tiket ini tidak ditemukan. Pindai lagi kode QR pada tiket.", fallbackNote: "Bagian ini ditampilkan dalam bahasa Inggris",
  },
  ne: {
    name: "नेपाली", html: "ne", title: "तपाईंको टोकन", number: "तपाईंको नम्बर", ahead: "अगाडि पर्खने", wait: "पर्खाइको अनुमानित समय",
    people: "{n} जना", minutes: "करिब {n} मिनेट", soonWord: "छिट्टै", stops: "आजको कामको क्रम",
    status: { waiting: "कृपया पर्खनुहोस्", called: "तपाईंलाई बोलाइँदैछ", serving: "काम हुँदैछ", processing: "तपाईंका कागजात तयार हुँदैछन्", done: "सबै काम सकियो", no_show: "नम्बर बोलाइयो तर तपाईंलाई भेटिएन", cancelled: "यो टोकन रद्द भयो" },
    window: "काउन्टर {c}", windowAny: "काउन्टर", goTo: "कृपया काउन्टर {c} मा आउनुहोस्", goToAny: "कृपया काउन्टरमा आउनुहोस्",
    waitNear: "काउन्टर {c} नजिक पर्खनुहोस्", waitCall: "नबोलाउन्जेल पर्खनुहोस्", servedAt: "काउन्टर {c} मा काम हुँदैछ", servedAtAny: "काउन्टरमा काम हुँदैछ",
    preparing: "टोकन राखेर पर्खनुहोस्। तयार भएपछि यो पेज र हलको स्क्रिनमा जानकारी दिइनेछ।",
    noShow: "नजिकका कर्मचारीलाई यो पेज वा टोकन देखाउनुहोस्। बाँकी कामबारे बताइनेछ।", thanks: "आउनुभएकोमा धन्यवाद।", cancelled: "केही जिज्ञासा भए नजिकका कर्मचारीलाई सोध्नुहोस्।",
    soonNext: "अब तपाईंको पालो। काउन्टर नजिक पर्खनुहोस्", soonAhead: "छिट्टै बोलाइनेछ (अगाडि {n} जना)", calledLead: " मा आउनुहोस्", leadFirst: false,
    backOffice: "कागजात तयारी", join: ", ", visitState: { done: "सकियो", current: "अहिले", upcoming: "", missed: "कर्मचारीलाई सोध्नुहोस्" }, preparingNow: "तयार हुँदैछ",
    notify: "बोलाउँदा सूचना पाउने", live: "ताजा स्थिति देखाउँदै", offline: "फेरि जोडिँदै…", paused: "अद्यावधिक रोकिएको छ (अन्तिम स्थिति देखाउँदै)",
    gone: "यो टोकन भेटिएन। टोकनको QR कोड फेरि स्क्यान गर्नुहोस्।", fallbackNote: "यो भाग अङ्ग्रेजीमा देखाइएको छ",
  },
};

export function fill(template, values) {
  return template.replace(/\{(\w)\}/g, (_, name) => String(values[name] ?? ""));
}

for (const [code, m] of Object.entries(MORE)) {
  // Japanese writes a range of windows 「1〜5」.
  const w = (c) => (code === "ja_easy" ? japaneseWindows(c) : listed(c, m.join));
  TEXT[code] = {
    ...m,
    switchTo: "日本語",
    people: (n) => fill(m.people, { n }),
    minutes: (n) => (n > 0 ? fill(m.minutes, { n }) : m.soonWord),
    window: (c) => (c ? fill(m.window, { c: w(c) }) : m.windowAny),
    goTo: (c) => (c ? fill(m.goTo, { c: w(c) }) : m.goToAny),
    waitNear: (c) => fill(m.waitNear, { c: w(c) }),
    servedAt: (c) => (c ? fill(m.servedAt, { c: w(c) }) : m.servedAtAny),
    soon: (n) => (n === 0 ? m.soonNext : fill(m.soonAhead, { n })),
  };
}
Object.assign(TEXT.ja, { name: "日本語", html: "ja", calledLead: "へお越しください", leadFirst: false, fallbackNote: "この項目は英語で表示しています" });
Object.assign(TEXT.en, { name: "English", html: "en", leadFirst: true, fallbackNote: "This item is shown in Japanese" });
export const LANGUAGES = ["ja", "ja_easy", "en", "zh", "zh_hant", "ko", "vi", "pt", "tl", "id", "ne"];

// やさしい日本語 writes ruby as {漢字|かんじ}: drawn here as <ruby>; the kiosk has a copy (kiosk.js).
const RUBY = /\{([^{}|]+)\|([^{}|]+)\}/g;

function rubyRun(text) {
  const nodes = [];
  let last = 0;
  for (const match of text.matchAll(RUBY)) {
    if (match.index > last) nodes.push(document.createTextNode(text.slice(last, match.index)));
    const ruby = document.createElement("ruby");
    const reading = document.createElement("rt");
    reading.textContent = match[2];
    ruby.append(match[1], reading);
    nodes.push(ruby);
    last = match.index + match[0].length;
  }
  if (last < text.length) nodes.push(document.createTextNode(text.slice(last)));
  return nodes;
}

// やさしい日本語 is written a word at a time (分かち書き). A word with ruby is one box (.word), so
// that a line breaks between words: the breaker would end one between ruby and kana
// (「{引|ひ}っ / {越|こ}して」).
export function rubyNodes(text) {
  if (!text.includes("{")) return [document.createTextNode(text)];
  return text.split(/(\s+)/).filter(Boolean).map((part) => {
    const nodes = rubyRun(part);
    if (!nodes.some((node) => node.nodeName === "RUBY")) return nodes[0];
    const word = document.createElement("span");
    word.className = "word";
    word.append(...nodes);
    return word;
  });
}

/** The same text read in kana alone: {漢字|かんじ} → かんじ. */
export function readingOf(text) {
  return text.replace(RUBY, "$2");
}

// The lobby board's own words (display/board.js); counters, "please wait near", minutes and
// "reconnecting" come from TEXT above. {n}: a number or count, {c}: a counter.
const BOARD_WORDS = {
  ja: {
    calling: "呼出中", recent: "お呼びした番号", next: "次の窓口のご案内", waiting: "お待ちの人数",
    nobody: "ただいまお呼びしている番号はありません", serving: "対応中", count: "{n}人",
    sound: "🔊 音声を有効にする", connecting: "接続中…", live: "接続中",
    fatal: "この表示板は接続できません。管理者にお知らせください。", saying: "{n}番の方、{c}番窓口へお越しください", shownIn: "(英語)",
  },
  ja_easy: {
    calling: "よんで いる ばんごう", recent: "よんだ ばんごう", next: "つぎの まどぐち", waiting: "まって いる ひと",
    nobody: "いま よんで いる ばんごうは ありません", serving: "てつづき ちゅう", count: "{n}にん",
    sound: "おとを だす", connecting: "つないで います…", live: "つながって います",
    fatal: "この がめんは つながりません。しょくいんに しらせて ください。", saying: "{n}ばんの かた、{c}ばん まどぐちに きて ください", shownIn: "(ふつうの にほんご)",
  },
  en: {
    calling: "Now calling", recent: "Called", next: "Your next counter", waiting: "Waiting",
    nobody: "No number is being called", serving: "Now serving", count: "{n} waiting",
    sound: "Enable sound", connecting: "Connecting…", live: "Live",
    fatal: "This display cannot connect. Please tell the administrator.", saying: "Number {n}, please go to counter {c}", shownIn: "(in Japanese)",
  },
  zh: {
    calling: "正在叫号", recent: "已叫号码", next: "下一个窗口", waiting: "等候人数",
    nobody: "目前没有叫号", serving: "正在办理", count: "{n}人等候",
    sound: "开启声音", connecting: "正在连接…", live: "已连接",
    fatal: "此显示屏无法连接。请通知管理员。", saying: "请{n}号到{c}号窗口", shownIn: "(英文)",
  },
  zh_hant: {
    calling: "正在叫號", recent: "已叫號碼", next: "下一個窗口", waiting: "等候人數",
    nobody: "目前沒有叫號", serving: "正在辦理", count: "{n}人等候",
    sound: "開啟聲音", connecting: "正在連線…", live: "已連線",
    fatal: "此顯示器無法連線。請通知管理員。", saying: "請{n}號到{c}號窗口", shownIn: "(英文)",
  },
  ko: {
    calling: "호출 중", recent: "호출한 번호", next: "다음 창구 안내", waiting: "대기 인원",
    nobody: "지금 호출 중인 번호가 없습니다", serving: "수속 중", count: "{n}명 대기",
    sound: "소리 켜기", connecting: "연결 중…", live: "연결됨",
    fatal: "이 화면은 연결할 수 없습니다. 관리자에게 알려 주십시오.", saying: "{n}번 고객님, {c}번 창구로 오십시오", shownIn: "(영어)",
  },
  vi: {
    calling: "Đang gọi số", recent: "Số đã gọi", next: "Quầy tiếp theo", waiting: "Số người chờ",
    nobody: "Hiện không gọi số nào", serving: "Đang làm thủ tục", count: "{n} người chờ",
    sound: "Bật âm thanh", connecting: "Đang kết nối…", live: "Đã kết nối",
    fatal: "Màn hình này không kết nối được. Vui lòng báo cho quản trị viên.", saying: "Số {n}, vui lòng đến quầy {c}", shownIn: "(tiếng Anh)",
  },
  pt: {
    calling: "Chamando agora", recent: "Números chamados", next: "Próximo guichê", waiting: "Aguardando",
    nobody: "Nenhum número sendo chamado", serving: "Em atendimento", count: "{n} aguardando",
    sound: "Ativar som", connecting: "Conectando…", live: "Conectado",
    fatal: "Esta tela não consegue se conectar. Avise o administrador.", saying: "Número {n}, dirija-se ao guichê {c}", shownIn: "(em inglês)",
  },
  tl: {
    calling: "Tinatawag ngayon", recent: "Mga tinawag na", next: "Susunod na counter", waiting: "Naghihintay",
    nobody: "Walang tinatawag na numero", serving: "Inaasikaso", count: "{n} naghihintay",
    sound: "Buksan ang tunog", connecting: "Kumokonekta…", live: "Nakakonekta",
    fatal: "Hindi makakonekta ang screen na ito. Pakisabi sa administrator.", saying: "Numero {n}, pumunta po sa counter {c}", shownIn: "(sa Ingles)",
  },
  id: {
    calling: "Sedang dipanggil", recent: "Nomor yang dipanggil", next: "Loket berikutnya", waiting: "Menunggu",
    nobody: "Tidak ada nomor yang dipanggil", serving: "Sedang dilayani", count: "{n} menunggu",
    sound: "Aktifkan suara", connecting: "Menyambungkan…", live: "Terhubung",
    fatal: "Layar ini tidak dapat terhubung. Mohon beri tahu administrator.", saying: "Nomor {n}, silakan menuju loket {c}", shownIn: "(bahasa Inggris)",
  },
  ne: {
    calling: "अहिले बोलाइँदै", recent: "बोलाइएका नम्बर", next: "अर्को काउन्टर", waiting: "पर्खिरहेका",
    nobody: "अहिले कुनै नम्बर बोलाइएको छैन", serving: "काम हुँदैछ", count: "{n} जना पर्खिरहेका",
    sound: "आवाज खोल्नुहोस्", connecting: "जोडिँदै…", live: "जोडिएको",
    fatal: "यो स्क्रिन जोडिन सकेन। कृपया प्रशासकलाई जानकारी दिनुहोस्।", saying: "नम्बर {n}, कृपया काउन्टर {c} मा आउनुहोस्", shownIn: "(अङ्ग्रेजीमा)",
  },
};

/** The board's words in one kiosk language, with the status page's that it shares. */
export const BOARD = Object.fromEntries(
  Object.entries(BOARD_WORDS).map(([code, words]) => {
    const page = TEXT[code];
    const japanese = code === "ja" || code === "ja_easy";
    return [
      code,
      {
        ...words,
        html: page.html,
        count: (n) => fill(words.count, { n }),
        saying: (n, c) => fill(words.saying, { n, c: japanese ? japaneseWindows(c) : c }),
        window: page.window,
        waitNear: page.waitNear,
        minutes: page.minutes,
        offline: page.offline,
        // What a name is shown in for want of a translation: Japanese for やさしい日本語, else English.
        fallback: code === "ja_easy" || code === "en" ? "ja" : "en",
      },
    ];
  }),
);

// The post-visit survey's words (display/survey.js); the reasons' labels come from the server.
export const SURVEY = {
  ja: {
    heading: "アンケートにご協力ください", question: "本日の窓口の手続きはいかがでしたか?",
    scale: { 1: "とても不満", 2: "不満", 3: "ふつう", 4: "満足", 5: "とても満足" },
    reason: "気になった点があれば、ひとつお選びください(任意)", none: "特になし", send: "送信する", sending: "送信しています…",
    thanks: "ご回答ありがとうございました。今後の改善に活かします。", anonymous: "回答は匿名です。お名前などは記録しません。",
    pick: "1〜5 のいずれかをお選びください。", failed: "送信できませんでした。もう一度お試しください。", shownIn: "(英語)",
  },
  ja_easy: {
    heading: "アンケートに こたえて ください", question: "きょうの {窓口|まどぐち}の {手続|てつづ}きは どうでしたか?",
    scale: { 1: "とても よくない", 2: "よくない", 3: "ふつう", 4: "よい", 5: "とても よい" },
    reason: "きに なった ことが あれば、ひとつ えらんで ください(えらばなくても いいです)", none: "とくに ない", send: "おくる", sending: "おくって います…",
    thanks: "こたえて くれて ありがとう ございました。これからの {窓口|まどぐち}に いかします。", anonymous: "{名前|なまえ}は のこりません。だれが こたえたか わかりません。",
    pick: "1〜5から ひとつ えらんで ください。", failed: "おくれませんでした。もう いちど おくって ください。", shownIn: "(ふつうの にほんご)",
  },
  en: {
    heading: "One quick question", question: "How was your visit today?",
    scale: { 1: "Very dissatisfied", 2: "Dissatisfied", 3: "Neutral", 4: "Satisfied", 5: "Very satisfied" },
    reason: "Anything that bothered you? Pick one if you like (optional)", none: "Nothing in particular", send: "Send", sending: "Sending…",
    thanks: "Thank you for your answer. We will use it to improve.", anonymous: "Anonymous: nothing about you is recorded.",
    pick: "Please choose a score from 1 to 5.", failed: "Could not send. Please try again.", shownIn: "(in Japanese)",
  },
  zh: {
    heading: "请协助填写问卷", question: "您对今天窗口的办理感觉如何?",
    scale: { 1: "非常不满意", 2: "不满意", 3: "一般", 4: "满意", 5: "非常满意" },
    reason: "如有在意之处,请选择一项(可选)", none: "没有特别的", send: "提交", sending: "正在提交…",
    thanks: "感谢您的回答。我们将用于改进服务。", anonymous: "回答是匿名的,不会记录您的姓名等信息。",
    pick: "请从1到5中选择一个分数。", failed: "提交失败。请重试。", shownIn: "(英文)",
  },
  zh_hant: {
    heading: "請協助填寫問卷", question: "您對今天窗口的辦理感覺如何?",
    scale: { 1: "非常不滿意", 2: "不滿意", 3: "普通", 4: "滿意", 5: "非常滿意" },
    reason: "如有在意之處,請選擇一項(可選)", none: "沒有特別的", send: "送出", sending: "正在送出…",
    thanks: "感謝您的回答。我們將用於改善服務。", anonymous: "回答是匿名的,不會記錄您的姓名等資訊。",
    pick: "請從1到5中選擇一個分數。", failed: "送出失敗。請再試一次。", shownIn: "(英文)",
  },
  ko: {
    heading: "설문에 협조해 주십시오", question: "오늘 창구 수속은 어떠셨습니까?",
    scale: { 1: "매우 불만", 2: "불만", 3: "보통", 4: "만족", 5: "매우 만족" },
    reason: "신경 쓰인 점이 있으면 하나 골라 주십시오(선택)", none: "특별히 없음", send: "보내기", sending: "보내는 중…",
    thanks: "답변해 주셔서 감사합니다. 개선에 활용하겠습니다.", anonymous: "답변은 익명입니다. 이름 등은 기록하지 않습니다.",
    pick: "1~5 중에서 하나를 골라 주십시오.", failed: "보내지 못했습니다. 다시 시도해 주십시오.", shownIn: "(영어)",
  },
  vi: {
    heading: "Xin vui lòng trả lời khảo sát", question: "Thủ tục tại quầy hôm nay thế nào?",
    scale: { 1: "Rất không hài lòng", 2: "Không hài lòng", 3: "Bình thường", 4: "Hài lòng", 5: "Rất hài lòng" },
    reason: "Nếu có điều chưa hài lòng, hãy chọn một mục (không bắt buộc)", none: "Không có gì đặc biệt", send: "Gửi", sending: "Đang gửi…",
    thanks: "Cảm ơn quý vị đã trả lời. Chúng tôi sẽ dùng ý kiến này để cải thiện.", anonymous: "Trả lời ẩn danh: không ghi lại tên hay thông tin của quý vị.",
    pick: "Vui lòng chọn một điểm từ 1 đến 5.", failed: "Không gửi được. Vui lòng thử lại.", shownIn: "(tiếng Anh)",
  },
  pt: {
    heading: "Uma pergunta rápida", question: "Como foi o atendimento hoje?",
    scale: { 1: "Muito insatisfeito", 2: "Insatisfeito", 3: "Neutro", 4: "Satisfeito", 5: "Muito satisfeito" },
    reason: "Algo o incomodou? Escolha um item, se quiser (opcional)", none: "Nada em especial", send: "Enviar", sending: "Enviando…",
    thanks: "Obrigado pela resposta. Vamos usá-la para melhorar.", anonymous: "Anônimo: nada sobre você é registrado.",
    pick: "Escolha uma nota de 1 a 5.", failed: "Não foi possível enviar. Tente novamente.", shownIn: "(em inglês)",
  },
  tl: {
    heading: "Isang maikling tanong", question: "Kumusta ang inyong pagbisita ngayon?",
    scale: { 1: "Lubos na hindi nasiyahan", 2: "Hindi nasiyahan", 3: "Katamtaman", 4: "Nasiyahan", 5: "Lubos na nasiyahan" },
    reason: "May hindi ba kayo nagustuhan? Pumili ng isa kung gusto (opsyonal)", none: "Wala naman", send: "Ipadala", sending: "Ipinapadala…",
    thanks: "Salamat sa inyong sagot. Gagamitin namin ito para humusay.", anonymous: "Anonymous: walang itinatalang impormasyon tungkol sa inyo.",
    pick: "Pumili ng marka mula 1 hanggang 5.", failed: "Hindi naipadala. Pakisubukang muli.", shownIn: "(sa Ingles)",
  },
  id: {
    heading: "Satu pertanyaan singkat", question: "Bagaimana layanan loket hari ini?",
    scale: { 1: "Sangat tidak puas", 2: "Tidak puas", 3: "Biasa", 4: "Puas", 5: "Sangat puas" },
    reason: "Ada yang mengganggu? Pilih satu jika mau (opsional)", none: "Tidak ada", send: "Kirim", sending: "Mengirim…",
    thanks: "Terima kasih atas jawaban Anda. Kami akan menggunakannya untuk perbaikan.", anonymous: "Anonim: tidak ada data tentang Anda yang dicatat.",
    pick: "Silakan pilih nilai 1 sampai 5.", failed: "Gagal mengirim. Silakan coba lagi.", shownIn: "(bahasa Inggris)",
  },
  ne: {
    heading: "एउटा छोटो प्रश्न", question: "आजको काउन्टरको सेवा कस्तो लाग्यो?",
    scale: { 1: "धेरै असन्तुष्ट", 2: "असन्तुष्ट", 3: "ठीकै", 4: "सन्तुष्ट", 5: "धेरै सन्तुष्ट" },
    reason: "केही कुरा खट्कियो भने एउटा छान्नुहोस् (ऐच्छिक)", none: "खासै केही छैन", send: "पठाउनुहोस्", sending: "पठाउँदै…",
    thanks: "जवाफका लागि धन्यवाद। सुधारका लागि प्रयोग गरिनेछ।", anonymous: "जवाफ गोप्य रहन्छ: तपाईंको नाम आदि राखिँदैन।",
    pick: "कृपया 1 देखि 5 मध्ये एउटा छान्नुहोस्।", failed: "पठाउन सकिएन। फेरि प्रयास गर्नुहोस्।", shownIn: "(अङ्ग्रेजीमा)",
  },
};
