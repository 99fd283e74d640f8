// A citizen's ticket status page (/t/{status_token}), live over the ticket's event stream.
// Shows numbers, counters and neutral labels only, as the server sends them.

import { LiveConnection, japaneseWindows, websocketBase } from "./live.js";

const SOON_AHEAD = 2; // "you are next but one": time to walk back to the waiting area
const CALL_VIBRATION = [400, 150, 400, 150, 800];
const SOON_VIBRATION = [200];

const TEXT = {
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
    window: (c) => (c ? (/[–・,]/.test(c) ? `Counters ${c}` : `Counter ${c}`) : "Counter"),
    goTo: (c) => (c ? `Please go to counter ${c}` : "Please go to the counter"),
    waitNear: (c) => `Please wait near ${/[–・,]/.test(c) ? "counters" : "counter"} ${c}`,
    waitCall: "Please wait until we call you",
    servedAt: (c) => (c ? `Being served at counter ${c}` : "Being served at the counter"),
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

function fill(template, values) {
  return template.replace(/\{(\w)\}/g, (_, name) => String(values[name] ?? ""));
}

for (const [code, m] of Object.entries(MORE)) {
  // Japanese writes a range of windows 「1〜5」.
  const w = (c) => (code === "ja_easy" ? japaneseWindows(c) : c);
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
const LANGUAGES = ["ja", "ja_easy", "en", "zh", "zh_hant", "ko", "vi", "pt", "tl", "id", "ne"];

const MARKS = { done: "✓", current: "▶", upcoming: "・", missed: "!" };

const statusToken = decodeURIComponent(location.pathname.split("/").filter(Boolean).pop());
// "" on the server; a city hall's prefix on a shared public edge (server/edge/).
const pathBase = location.pathname.slice(0, location.pathname.lastIndexOf("/t/"));
let linkPaused = false; // the edge lost its link to the city hall: what we show may be stale
let ticket = null;
let language = sessionStorage.getItem("madoguchi.language");
let connectionState = "offline";
let notifyOffered = false; // the browser may still ask for notification permission
const alerted = new Set(); // alerts already given, so a refresh never buzzes twice

function t() {
  return TEXT[language] || TEXT.ja;
}

function byId(id) {
  return document.getElementById(id);
}

function currentStop() {
  return ticket && ticket.current_stop !== null ? ticket.stops[ticket.current_stop] : null;
}

function render() {
  const text = t();
  document.documentElement.lang = text.html;
  byId("title").textContent = text.title;
  byId("language").textContent = text.switchTo;
  byId("language-choice").value = TEXT[language] ? language : "ja";
  byId("number-label").textContent = text.number;
  byId("ahead-label").textContent = text.ahead;
  byId("wait-label").textContent = text.wait;
  byId("stops-label").textContent = text.stops;
  byId("notify").textContent = text.notify;
  const shown = connectionState === "live" && linkPaused ? "paused" : connectionState;
  byId("connection").textContent = { live: text.live, paused: text.paused }[shown] ?? text.offline;
  byId("connection").dataset.state = shown;
  if (!ticket) return;

  const stop = currentStop();
  // Back-office work is never a call: a desk's name means nothing to the citizen.
  const counter = stop && stop.citizen_present !== false ? stop.counter : null;
  document.body.dataset.status = ticket.status;
  byId("number").textContent = ticket.number;
  byId("status").textContent = text.status[ticket.status] ?? ticket.status;
  byId("where").textContent = whereToGo(text, counter);
  // Figures only while they mean something: waiting in a queue for a window.
  const waiting = ticket.status === "waiting" && ticket.position !== null;
  byId("facts").hidden = !waiting;
  byId("ahead").textContent = waiting ? text.people(ticket.position) : "";
  byId("wait").textContent = waiting && ticket.estimated_wait_minutes !== null ? text.minutes(ticket.estimated_wait_minutes) : "–";
  renderStops(text);
  renderBanner(text, counter);
  byId("notify").hidden = !notifyOffered || FINISHED.has(ticket.status);
}

const FINISHED = new Set(["done", "cancelled", "no_show"]);

function whereToGo(text, counter) {
  switch (ticket.status) {
    case "called":
      return ""; // the banner says where, large
    case "waiting":
      return counter ? text.waitNear(counter) : text.waitCall;
    case "serving":
      return text.servedAt(counter);
    case "processing":
      return text.preparing;
    case "no_show":
      return text.noShow;
    case "done":
      return text.thanks;
    case "cancelled":
      return text.cancelled;
    default:
      return "";
  }
}

/** The route as visits: one line per window visit, back-office work as one line of progress. */
function visitsOf(view) {
  if (Array.isArray(view.visits)) return view.visits;
  // A server older than the visit presentation: fold consecutive stops at the same place.
  const visits = [];
  view.stops.forEach((stop, index) => {
    const backOffice = stop.citizen_present === false;
    const status = stop.status === "done" || stop.status === "skipped" ? "done"
      : stop.status === "no_show" ? "missed"
      : index === view.current_stop ? "current" : "upcoming";
    const last = visits[visits.length - 1];
    if (last && last.kind === (backOffice ? "back_office" : "counter") && (backOffice || last.counters === stop.counter)) {
      last.stops.push(index);
      if (!last.labels.includes(stop.label)) last.labels.push(stop.label);
      if (!last.labels_en.includes(stop.label_en)) last.labels_en.push(stop.label_en);
      if (status !== "done" && last.status === "done") last.status = status;
      return;
    }
    visits.push({
      kind: backOffice ? "back_office" : "counter",
      counters: backOffice ? null : stop.counter,
      labels: [stop.label],
      labels_en: [stop.label_en],
      status,
      stops: [index],
    });
  });
  return visits;
}

/** 「1〜5番窓口: 転入届・印鑑登録」 / "Counters 1–5: Moving-in notification, Seal registration". */
export function visitLine(text, visit, english) {
  if (visit.kind === "back_office") return text.backOffice;
  const labels = (english ? visit.labels_en : visit.labels) || [];
  return `${text.window(visit.counters)}: ${labels.join(text.join)}`;
}

// やさしい日本語 writes ruby as {漢字|かんじ}: drawn here as <ruby>.
function rubyNodes(text) {
  const nodes = [];
  let last = 0;
  for (const match of text.matchAll(/\{([^{}|]+)\|([^{}|]+)\}/g)) {
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

/** The visit's line in the ticket's own language (its names come with the ticket), each name
 * that is shown in English or Japanese for want of a translation marked so; null when the page
 * is in another language than the ticket's. */
function localVisitLine(text, visit) {
  if (visit.kind === "back_office" || language !== ticket.language || !Array.isArray(visit.labels_local) || !visit.labels_local.length) {
    return null;
  }
  const nodes = [document.createTextNode(`${text.window(visit.counters)}: `)];
  visit.labels_local.forEach((label, index) => {
    if (index > 0) nodes.push(document.createTextNode(text.join));
    const name = document.createElement("span");
    name.append(...rubyNodes(label));
    const shownIn = visit.labels_local_lang?.[index];
    if (shownIn && shownIn !== language) {
      name.lang = TEXT[shownIn]?.html ?? shownIn;
      name.dataset.fallback = shownIn;
      const note = document.createElement("small");
      note.className = "fallback-note";
      note.lang = text.html;
      note.textContent = ` (${text.fallbackNote})`;
      name.append(note);
    }
    nodes.push(name);
  });
  return nodes;
}

function renderStops(text) {
  // A page in another language than the ticket's has the names in English (Japanese for
  // やさしい日本語), marked so.
  const english = !language.startsWith("ja");
  const visits = visitsOf(ticket).filter(
    (visit) => !visit.stops.every((index) => ticket.stops[index]?.status === "skipped"),
  );
  byId("stops").replaceChildren(
    ...visits.map((visit) => {
      const item = document.createElement("li");
      item.className = `${visit.status} ${visit.kind === "back_office" ? "back-office" : "window"}`;
      item.dataset.status = visit.status;
      if (visit.status === "current") item.setAttribute("aria-current", "step");
      const mark = document.createElement("span");
      mark.className = "mark";
      mark.setAttribute("aria-hidden", "true");
      mark.textContent = MARKS[visit.status] ?? "・";
      const label = document.createElement("span");
      label.className = "line";
      const local = localVisitLine(text, visit);
      if (local) label.replaceChildren(...local);
      else {
        label.textContent = visitLine(text, visit, english);
        if (visit.kind !== "back_office" && language !== "ja" && language !== "en") {
          label.dataset.fallback = english ? "en" : "ja";
          const note = document.createElement("small");
          note.className = "fallback-note";
          note.textContent = ` (${text.fallbackNote})`;
          label.append(note);
        }
      }
      const state = document.createElement("span");
      state.className = "state";
      state.textContent = visit.kind === "back_office" && visit.status === "current" ? text.preparingNow : text.visitState[visit.status] ?? "";
      item.append(mark, label, state);
      return item;
    }),
  );
}

function renderBanner(text, counter) {
  const banner = byId("banner");
  banner.replaceChildren();
  let kind = null;
  if (ticket.status === "called") {
    kind = "called";
    // The window in large type: what a citizen walking across the lobby needs to read.
    const where = document.createElement("span");
    where.className = "banner-window";
    where.textContent = language === "en" ? (counter ? `counter ${counter}` : "the counter") : text.window(counter);
    const lead = document.createElement("span");
    lead.className = "banner-lead";
    lead.textContent = text.calledLead;
    banner.setAttribute("aria-label", text.goTo(counter));
    if (text.leadFirst) banner.append(lead, where);
    else banner.append(where, lead);
  } else if (ticket.status === "waiting" && ticket.position !== null && ticket.position <= SOON_AHEAD) {
    kind = "soon";
    banner.textContent = text.soon(ticket.position);
    banner.removeAttribute("aria-label");
  } else {
    banner.removeAttribute("aria-label");
  }
  banner.hidden = kind === null;
  banner.className = `banner ${kind ?? ""}`;
}

function alertOnce(key, vibration, notificationText) {
  if (alerted.has(key)) return;
  alerted.add(key);
  if (navigator.vibrate) navigator.vibrate(vibration);
  if (notificationText && "Notification" in window && Notification.permission === "granted") {
    new Notification(`${ticket.number}`, { body: notificationText, tag: "madoguchi-call" });
  }
}

function checkAlerts(callEventId) {
  const stop = currentStop();
  if (ticket.status === "called") {
    alertOnce(`called:${ticket.current_stop}:${callEventId ?? 0}`, CALL_VIBRATION, t().goTo(stop?.counter));
  } else if (ticket.status === "waiting" && ticket.position !== null && ticket.position <= SOON_AHEAD) {
    alertOnce(`soon:${ticket.current_stop}`, SOON_VIBRATION, null);
  }
}

function show(view, callEventId) {
  ticket = view;
  if (!language) language = TEXT[ticket.language] ? ticket.language : "en";
  render();
  checkAlerts(callEventId);
}

let lastCallEventId = null;

const connection = new LiveConnection(
  () => `${websocketBase()}${pathBase}/api/v1/tickets/${encodeURIComponent(statusToken)}/events`,
  {
    snapshot: (message) => show(message.ticket, null),
    event: (message) => {
      // A recall buzzes again: remember which call the next view belongs to.
      if (message.type === "ticket.called" || message.type === "ticket.recalled") lastCallEventId = message.id;
    },
    message: (message) => {
      if (message.type === "ticket") show(message.ticket, lastCallEventId);
      if (message.type === "link") {
        linkPaused = message.state === "paused";
        render();
      }
    },
    status: (state) => {
      connectionState = state;
      render();
    },
    fatal: () => {
      byId("gone").hidden = false;
      byId("gone").textContent = t().gone;
    },
  },
  { resume: false }, // the view is the whole state: a reconnect simply takes it afresh
);

function choose(chosen) {
  language = chosen;
  sessionStorage.setItem("madoguchi.language", language);
  render();
}

// The quick switch: Japanese ⇄ the ticket's language (English for a Japanese ticket).
byId("language").addEventListener("click", () => {
  const other = ticket && !ticket.language.startsWith("ja") && TEXT[ticket.language] ? ticket.language : "en";
  choose(language === "ja" ? other : "ja");
});

// Every kiosk language, each named in itself.
for (const code of LANGUAGES) {
  const option = document.createElement("option");
  option.value = code;
  option.lang = TEXT[code].html;
  option.textContent = TEXT[code].name;
  byId("language-choice").append(option);
}
byId("language-choice").addEventListener("change", (event) => choose(event.target.value));

if ("Notification" in window && Notification.permission === "default") {
  const button = byId("notify");
  notifyOffered = true;
  button.hidden = false;
  button.addEventListener("click", async () => {
    await Notification.requestPermission();
    notifyOffered = false;
    button.hidden = true;
  });
}

render();
connection.start();
window.madoguchiStatus = { connection, get ticket() { return ticket; } };
